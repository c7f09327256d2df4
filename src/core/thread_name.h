// Names the calling thread, so `top -H`, `ps -L`, perf and bench/load.sh can tell the server's
// threads apart (kefu-io, kefu-worker, kefu-checkpoint, ...) instead of showing "kefu" for all.
//
//   std::thread t([] { SetThreadName("kefu-worker"); Run(); });
//
// Linux keeps at most 15 bytes of a name: a longer one is cut there (at a byte, so keep names
// ASCII). Naming is best effort: it never fails the caller.
#pragma once

#include <string>
#include <string_view>

namespace kefu {

inline constexpr size_t kMaxThreadNameBytes = 15;

void SetThreadName(std::string_view name);

// The calling thread's name, or "" where the platform cannot say.
std::string ThreadName();

}  // namespace kefu
