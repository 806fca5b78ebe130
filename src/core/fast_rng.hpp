#pragma once
#include <openssl/rand.h>

#include <cstdint>

namespace tg {

// xoshiro256** seeded from the OS CSPRNG, one per thread (use through `thread_local`). For ids that must be unique
// and unguessable enough for correlation but are not secrets (request ids, usage event ids): a getrandom() call
// per id was one system call in four on the verify hot path. Never use it for keys, tokens or codes.
struct FastRng {
  std::uint64_t s[4];
  FastRng() {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(s), sizeof s) != 1 || (s[0] | s[1] | s[2] | s[3]) == 0) {
      // Not reachable with a working OpenSSL; an all-zero state would make the generator emit only zeros.
      s[0] = 0x9e3779b97f4a7c15ULL ^ reinterpret_cast<std::uintptr_t>(this);
      s[1] = 0xbf58476d1ce4e5b9ULL;
      s[2] = 0x94d049bb133111ebULL;
      s[3] = 0x2545f4914f6cdd1dULL;
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

}  // namespace tg
