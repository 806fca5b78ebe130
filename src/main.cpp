#include <unistd.h>

#include "app/app.hpp"

int main(int argc, char** argv) {
  return tg::app::run(argc, argv, environ);
}
