#pragma once

namespace tg::app {
// The composition root: parses the command line, builds every dependency and runs the chosen command.
int run(int argc, char** argv, char** envp);
}  // namespace tg::app
