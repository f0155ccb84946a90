/*
 * Benchmark driver: checks the Kernel Python routines (kpy_*) against the C ones (c_*) on the same
 * inputs, then times both and prints one line per routine: `routine kpy_ns c_ns ratio`.
 *
 * Build:    python -m ziglang cc -O2 harness.c c_routines.c kpy.o -o harness
 * Selftest: python -m ziglang cc -O2 -DSELFTEST harness.c c_routines.c -o harness
 *           (no translator needed: the kpy_ names are aliased to the C versions)
 * Run:      ./harness [--min-ms N] [--repeats N] [--check-only]
 * Lines starting with '#' are comments; the exit status is 1 when the correctness gate fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SELFTEST
#define kpy_memcpy c_memcpy
#define kpy_memset c_memset
#define kpy_crc32 c_crc32
#define kpy_crc32_init c_crc32_init
#define kpy_crc32_table c_crc32_table
#define kpy_bitmap_first_zero c_bitmap_first_zero
#define kpy_hash_insert c_hash_insert
#define kpy_hash_lookup c_hash_lookup
#define kpy_struct_loop c_struct_loop
#endif

/* Both sets take raw addresses as u64, exactly like the @export'ed Kernel Python functions. */
#define DECLARE_ROUTINES(P)                                                               \
    void P##memcpy(uint64_t dst, uint64_t src, uint64_t n);                               \
    void P##memset(uint64_t dst, uint64_t c, uint64_t n);                                 \
    uint32_t P##crc32(uint64_t buf, uint64_t n);                                          \
    void P##crc32_init(uint64_t table);                                                   \
    uint32_t P##crc32_table(uint64_t table, uint64_t buf, uint64_t n);                    \
    int64_t P##bitmap_first_zero(uint64_t words, uint64_t nwords);                        \
    uint64_t P##hash_insert(uint64_t table, uint64_t cap, uint64_t key, uint64_t value);  \
    uint64_t P##hash_lookup(uint64_t table, uint64_t cap, uint64_t key);                  \
    uint64_t P##struct_loop(uint64_t arr, uint64_t n);

DECLARE_ROUTINES(c_)
DECLARE_ROUTINES(kpy_)

typedef struct {
    uint32_t id;
    uint16_t flags;
    uint8_t kind;
    uint8_t pad;
    uint64_t size;
    uint64_t next;
} Item;

#define A(p) ((uint64_t)(uintptr_t)(p))

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state = 0x243F6A8885A308D3ull;

/* xorshift64*: a deterministic generator so every run checks and times the same inputs. */
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void fill_random(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

static void *xalloc(size_t n) {
    /* 64-byte aligned, size rounded up as aligned_alloc requires. */
    void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
    if (!p) {
        fprintf(stderr, "harness: out of memory\n");
        exit(2);
    }
    memset(p, 0, n);
    return p;
}

static int failures = 0;
static int checks = 0;

static void expect(int ok, const char *what, uint64_t a, uint64_t b, uint64_t detail) {
    checks++;
    if (!ok) {
        failures++;
        if (failures <= 20)
            fprintf(stderr, "MISMATCH %s: kpy=0x%" PRIx64 " c=0x%" PRIx64 " (case %" PRIu64 ")\n",
                    what, a, b, detail);
    }
}

/* ---------------------------------------------------------------- correctness gate */

static void check_memcpy(void) {
    static const uint64_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 255, 1000, 4099};
    uint8_t *src = xalloc(4200), *d1 = xalloc(4300), *d2 = xalloc(4300);
    fill_random(src, 4200);
    for (uint64_t so = 0; so < 9; so++)
        for (uint64_t doff = 0; doff < 9; doff++)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                memset(d1, 0xA5, 4300);
                memset(d2, 0xA5, 4300);
                kpy_memcpy(A(d1 + doff), A(src + so), sizes[k]);
                c_memcpy(A(d2 + doff), A(src + so), sizes[k]);
                int same = memcmp(d1, d2, 4300) == 0 && memcmp(d1 + doff, src + so, sizes[k]) == 0;
                expect(same, "memcpy", so, doff, sizes[k]);
            }
    free(src), free(d1), free(d2);
}

static void check_memset(void) {
    static const uint64_t sizes[] = {0, 1, 7, 8, 9, 31, 64, 100, 4097};
    static const uint64_t values[] = {0, 0x5A, 0xFF, 0x1234, 0xFFFFFFFFFFFFFF00ull};
    uint8_t *d1 = xalloc(4200), *d2 = xalloc(4200);
    for (uint64_t off = 0; off < 9; off++)
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                memset(d1, 0x11, 4200);
                memset(d2, 0x11, 4200);
                kpy_memset(A(d1 + off), values[v], sizes[k]);
                c_memset(A(d2 + off), values[v], sizes[k]);
                expect(memcmp(d1, d2, 4200) == 0, "memset", off, values[v], sizes[k]);
            }
    free(d1), free(d2);
}

static void check_crc32(void) {
    uint32_t *t1 = xalloc(1024), *t2 = xalloc(1024);
    kpy_crc32_init(A(t1));
    c_crc32_init(A(t2));
    expect(memcmp(t1, t2, 1024) == 0, "crc32_init", t1[1], t2[1], 0);

    const char *std = "123456789"; /* the CRC-32/IEEE check value is 0xCBF43926 */
    expect(kpy_crc32(A(std), 9) == 0xCBF43926u, "crc32 check value", kpy_crc32(A(std), 9), 0xCBF43926u, 0);
    expect(c_crc32(A(std), 9) == 0xCBF43926u, "c_crc32 check value", c_crc32(A(std), 9), 0xCBF43926u, 0);

    uint8_t *buf = xalloc(3000);
    fill_random(buf, 3000);
    for (uint64_t n = 0; n < 3000; n = n * 2 + 1) {
        for (uint64_t off = 0; off < 3; off++) {
            uint32_t a = kpy_crc32(A(buf + off), n), b = c_crc32(A(buf + off), n);
            expect(a == b, "crc32", a, b, n);
            uint32_t ta = kpy_crc32_table(A(t1), A(buf + off), n);
            uint32_t tb = c_crc32_table(A(t2), A(buf + off), n);
            expect(ta == tb && ta == b, "crc32_table", ta, tb, n);
        }
    }
    free(t1), free(t2), free(buf);
}

static void check_bitmap(void) {
    enum { NW = 70 };
    uint64_t *w = xalloc(NW * 8);
    expect(kpy_bitmap_first_zero(A(w), 0) == -1, "bitmap empty", kpy_bitmap_first_zero(A(w), 0), -1, 0);
    for (uint64_t bit = 0; bit < NW * 64; bit += 7) {
        memset(w, 0xFF, NW * 8);
        w[bit / 64] &= ~(1ull << (bit % 64));
        /* Also clear a higher bit: the lowest zero must win. */
        if (bit + 5 < NW * 64) w[(bit + 5) / 64] &= ~(1ull << ((bit + 5) % 64));
        int64_t a = kpy_bitmap_first_zero(A(w), NW), b = c_bitmap_first_zero(A(w), NW);
        expect(a == b && b == (int64_t)bit, "bitmap_first_zero", (uint64_t)a, (uint64_t)b, bit);
    }
    memset(w, 0xFF, NW * 8);
    int64_t a = kpy_bitmap_first_zero(A(w), NW), b = c_bitmap_first_zero(A(w), NW);
    expect(a == -1 && b == -1, "bitmap full", (uint64_t)a, (uint64_t)b, 0);
    free(w);
}

static void check_hash(void) {
    static const uint64_t caps[] = {1, 2, 8, 64, 1024};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint64_t cap = caps[c];
        uint64_t *t1 = xalloc(cap * 16), *t2 = xalloc(cap * 16);
        /* Insert more keys than slots (some repeated) so updates and the full case are exercised. */
        for (uint64_t i = 0; i < cap + cap / 2 + 2; i++) {
            uint64_t key = (rnd() % (cap * 2 + 3)) + 1, value = rnd();
            uint64_t a = kpy_hash_insert(A(t1), cap, key, value);
            uint64_t b = c_hash_insert(A(t2), cap, key, value);
            expect(a == b, "hash_insert", a, b, cap);
        }
        expect(memcmp(t1, t2, cap * 16) == 0, "hash table contents", cap, cap, cap);
        for (uint64_t key = 1; key < cap * 3 + 5; key++) {
            uint64_t a = kpy_hash_lookup(A(t1), cap, key), b = c_hash_lookup(A(t2), cap, key);
            expect(a == b, "hash_lookup", a, b, key);
        }
        free(t1), free(t2);
    }
}

static void fill_items(Item *items, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        items[i].id = (uint32_t)i;
        items[i].flags = (uint16_t)rnd();
        items[i].kind = (uint8_t)rnd();
        items[i].pad = 0;
        items[i].size = rnd() >> (rnd() & 63);
        items[i].next = rnd();
    }
}

static void check_struct_loop(void) {
    static const uint64_t counts[] = {0, 1, 2, 17, 300};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        uint64_t n = counts[k];
        Item *a = xalloc((n + 1) * sizeof(Item)), *b = xalloc((n + 1) * sizeof(Item));
        fill_items(a, n + 1);
        memcpy(b, a, (n + 1) * sizeof(Item));
        uint64_t ra = kpy_struct_loop(A(a), n), rb = c_struct_loop(A(b), n);
        expect(ra == rb, "struct_loop result", ra, rb, n);
        expect(memcmp(a, b, (n + 1) * sizeof(Item)) == 0, "struct_loop array", n, n, n);
        free(a), free(b);
    }
}

/* ---------------------------------------------------------------- timing */

enum { MEM_BYTES = 64 * 1024, CRC_BIT_BYTES = 4 * 1024, BITMAP_WORDS = 4096,
       HASH_CAP = 8192, HASH_KEYS = 4096, ITEMS = 4096 };

static uint8_t *b_src, *b_dst;
static uint32_t *b_table_kpy, *b_table_c;
static uint64_t *b_bitmap, *b_hash_kpy, *b_hash_c, *b_keys;
static Item *b_items_kpy, *b_items_c;
static volatile uint64_t sink;

/* One unit of work per routine; impl 0 is Kernel Python, 1 is C. */
static void w_memcpy(int impl) {
    (impl ? c_memcpy : kpy_memcpy)(A(b_dst), A(b_src), MEM_BYTES);
}
static void w_memset(int impl) {
    (impl ? c_memset : kpy_memset)(A(b_dst), 0x3C, MEM_BYTES);
}
static void w_crc32(int impl) {
    sink += (impl ? c_crc32 : kpy_crc32)(A(b_src), CRC_BIT_BYTES);
}
static void w_crc32_table(int impl) {
    sink += (impl ? c_crc32_table : kpy_crc32_table)(A(impl ? b_table_c : b_table_kpy), A(b_src), MEM_BYTES);
}
static void w_bitmap(int impl) {
    sink += (uint64_t)(impl ? c_bitmap_first_zero : kpy_bitmap_first_zero)(A(b_bitmap), BITMAP_WORDS);
}
static void w_hash_insert(int impl) {
    uint64_t t = A(impl ? b_hash_c : b_hash_kpy);
    uint64_t (*ins)(uint64_t, uint64_t, uint64_t, uint64_t) = impl ? c_hash_insert : kpy_hash_insert;
    for (int i = 0; i < HASH_KEYS; i++) sink += ins(t, HASH_CAP, b_keys[i], (uint64_t)i);
}
static void w_hash_lookup(int impl) {
    uint64_t t = A(impl ? b_hash_c : b_hash_kpy);
    uint64_t (*look)(uint64_t, uint64_t, uint64_t) = impl ? c_hash_lookup : kpy_hash_lookup;
    /* Keys 0..HASH_KEYS-1 are present, the rest of b_keys are absent. */
    for (int i = 0; i < 2 * HASH_KEYS; i++) sink += look(t, HASH_CAP, b_keys[i]);
}
static void w_struct_loop(int impl) {
    sink += (impl ? c_struct_loop : kpy_struct_loop)(A(impl ? b_items_c : b_items_kpy), ITEMS);
}

typedef struct {
    const char *name;
    void (*work)(int impl);
    const char *size;
} Bench;

static const Bench benches[] = {
    {"memcpy", w_memcpy, "64 KiB, 8-aligned"},
    {"memset", w_memset, "64 KiB, 8-aligned"},
    {"crc32_bitwise", w_crc32, "4 KiB"},
    {"crc32_table", w_crc32_table, "64 KiB"},
    {"bitmap_first_zero", w_bitmap, "4096 words, zero bit in the last"},
    {"hash_insert", w_hash_insert, "4096 keys, cap 8192"},
    {"hash_lookup", w_hash_lookup, "4096 hits + 4096 misses, cap 8192"},
    {"struct_loop", w_struct_loop, "4096 Items of 24 bytes"},
};

static void setup_bench_data(void) {
    b_src = xalloc(MEM_BYTES);
    b_dst = xalloc(MEM_BYTES);
    fill_random(b_src, MEM_BYTES);
    b_table_kpy = xalloc(1024);
    b_table_c = xalloc(1024);
    kpy_crc32_init(A(b_table_kpy));
    c_crc32_init(A(b_table_c));
    b_bitmap = xalloc(BITMAP_WORDS * 8);
    memset(b_bitmap, 0xFF, BITMAP_WORDS * 8);
    b_bitmap[BITMAP_WORDS - 1] &= ~(1ull << 37);
    b_hash_kpy = xalloc(HASH_CAP * 16);
    b_hash_c = xalloc(HASH_CAP * 16);
    b_keys = xalloc(2 * HASH_KEYS * 8);
    /* Odd keys are inserted and even keys looked up as misses, so a "miss" is never present. */
    for (int i = 0; i < HASH_KEYS; i++) b_keys[i] = rnd() | 1;
    for (int i = HASH_KEYS; i < 2 * HASH_KEYS; i++) b_keys[i] = (rnd() & ~1ull) | 2;
    for (int i = 0; i < HASH_KEYS; i++) {
        kpy_hash_insert(A(b_hash_kpy), HASH_CAP, b_keys[i], (uint64_t)i);
        c_hash_insert(A(b_hash_c), HASH_CAP, b_keys[i], (uint64_t)i);
    }
    b_items_kpy = xalloc(ITEMS * sizeof(Item));
    b_items_c = xalloc(ITEMS * sizeof(Item));
    fill_items(b_items_kpy, ITEMS);
    memcpy(b_items_c, b_items_kpy, ITEMS * sizeof(Item));
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t run_loop(void (*work)(int), int impl, uint64_t iters) {
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < iters; i++) work(impl);
    return now_ns() - t0;
}

/* Iterations that make one loop of `work` last at least min_ms (doubling from 1). */
static uint64_t calibrate(void (*work)(int), int impl, double min_ms) {
    uint64_t iters = 1;
    while (run_loop(work, impl, iters) < (uint64_t)(min_ms * 1e6) && iters < (1ull << 40)) iters *= 2;
    return iters;
}

/*
 * Nanoseconds per unit of work for both implementations: best of `repeats` loops each. The kpy and
 * C loops alternate so that a slow spell of a shared (virtual) machine hits both, not one.
 */
static void time_pair(void (*work)(int), double min_ms, int repeats, double *kpy_ns, double *c_ns) {
    uint64_t iters[2] = {calibrate(work, 0, min_ms), calibrate(work, 1, min_ms)};
    uint64_t best[2] = {UINT64_MAX, UINT64_MAX};
    for (int r = 0; r < repeats; r++)
        for (int impl = 0; impl < 2; impl++) {
            uint64_t t = run_loop(work, impl, iters[impl]);
            if (t < best[impl]) best[impl] = t;
        }
    *kpy_ns = (double)best[0] / (double)iters[0];
    *c_ns = (double)best[1] / (double)iters[1];
}

int main(int argc, char **argv) {
    double min_ms = 50.0;
    int repeats = 5, check_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-ms") && i + 1 < argc) min_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--check-only")) check_only = 1;
        else {
            fprintf(stderr, "usage: %s [--min-ms N] [--repeats N] [--check-only]\n", argv[0]);
            return 2;
        }
    }
#ifdef SELFTEST
    printf("# SELFTEST build: kpy_* are aliases of c_*; ratios only show the noise floor\n");
#endif
    check_memcpy();
    check_memset();
    check_crc32();
    check_bitmap();
    check_hash();
    check_struct_loop();
    if (failures) {
        printf("# correctness: FAILED (%d of %d checks)\n", failures, checks);
        return 1;
    }
    printf("# correctness: ok (%d checks)\n", checks);
    if (check_only) return 0;

    setup_bench_data();
    printf("# loops of >= %.0f ms, best of %d; ns per unit of work; ratio = kpy/c\n", min_ms, repeats);
    printf("# routine kpy_ns c_ns ratio\n");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        double k, c;
        time_pair(benches[i].work, min_ms, repeats, &k, &c);
        printf("%s %.1f %.1f %.3f\n", benches[i].name, k, c, k / c);
        fflush(stdout);
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        printf("# size %s: %s\n", benches[i].name, benches[i].size);
    return 0;
}
