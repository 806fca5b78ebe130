#pragma once
#include <string_view>
#include <vector>

// Assets compiled into the binary by cmake/embed.cmake, so one file is all a deployment needs.
namespace tg::embedded {
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};
const std::vector<Migration>& migrations();
std::string_view openapi_json();
}  // namespace tg::embedded
