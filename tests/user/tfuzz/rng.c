// The fuzzer's generator: splitmix64 turns the seed and a stream number
// (worker index and generation, a child's role) into a state, xorshift64*
// draws from it. Each thread draws from its own stream, so what a thread
// tries depends only on the seed, never on how threads interleave.

#include "tests/user/tfuzz/fuzz.h"

ULONG64 FzSplitMix(ULONG64 *state)
{
    ULONG64 z = (*state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void FzSeed(FZ_RNG *rng, ULONG64 seed, ULONG64 stream)
{
    ULONG64 state = seed ^ (stream * 0xD1342543DE82EF95ULL);

    rng->State = FzSplitMix(&state);
    if (!rng->State)        // xorshift's one fixed point
        rng->State = 1;
}

ULONG64 FzNext(FZ_RNG *rng)
{
    ULONG64 x = rng->State;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->State = x;
    return x * 0x2545F4914F6CDD1DULL;
}

ULONG FzBelow(FZ_RNG *rng, ULONG bound)
{
    return bound ? (ULONG)((FzNext(rng) >> 32) % bound) : 0;
}

BOOLEAN FzChance(FZ_RNG *rng, ULONG percent)
{
    return FzBelow(rng, 100) < percent;
}
