#include "core/async.hpp"

namespace tg {
namespace {
thread_local int t_worker = 0;
}
int worker_index() {
  return t_worker;
}
void set_worker_index(int i) {
  t_worker = i;
}
}  // namespace tg
