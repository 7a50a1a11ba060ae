// Native memory-bandwidth reference for the MegaFace scans (issue 6), run by hand, not by npm:
// how fast can this machine stream a gallery-sized block at all, outside WebAssembly? It reads
// MIB mebibytes of floats with T pthreads (each its own contiguous part, cut into S streams read
// side by side, four AVX2 accumulators per stream), five times, and prints each pass in GB/s,
// with transparent huge pages asked for (madvise) or refused.
//
//   gcc -O3 -mavx2 -pthread bench/membw.c -o /tmp/membw
//   /tmp/membw 2400 2 8        # the 2.41 GB of float32 rows, 2 threads, 8 streams each
//   /tmp/membw 640 2 8         # the int8 blocks' 0.64 GB
//
// The bench's own streaming peer (stream_sum_f32, bench/megaface.ts) is the same read in wasm; on
// this project's machine both land at 24–31 GB/s with two threads and 13–15.5 GB/s with one.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static float *buf;
static size_t n_floats;
static int threads, streams;
static float sums[64];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *part(void *arg) {
  long id = (long)arg;
  size_t per = n_floats / threads, run = per / streams / 32 * 32;
  const float *p = buf + id * per;
  __m256 acc[16][4];
  for (int s = 0; s < 16; s++)
    for (int u = 0; u < 4; u++) acc[s][u] = _mm256_setzero_ps();
  for (size_t i = 0; i < run; i += 32) {
    for (int s = 0; s < streams; s++) {
      const float *r = p + s * run + i;
      acc[s][0] = _mm256_add_ps(acc[s][0], _mm256_load_ps(r));
      acc[s][1] = _mm256_add_ps(acc[s][1], _mm256_load_ps(r + 8));
      acc[s][2] = _mm256_add_ps(acc[s][2], _mm256_load_ps(r + 16));
      acc[s][3] = _mm256_add_ps(acc[s][3], _mm256_load_ps(r + 24));
    }
  }
  float t[8], sum = 0;
  for (int s = 0; s < streams; s++) {
    _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(acc[s][0], acc[s][1]), _mm256_add_ps(acc[s][2], acc[s][3])));
    for (int j = 0; j < 8; j++) sum += t[j];
  }
  sums[id] = sum;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: membw MIB THREADS STREAMS   (THREADS 1..64, STREAMS 1..16)\n");
    return 2;
  }
  size_t bytes = (size_t)atol(argv[1]) << 20;
  threads = atoi(argv[2]);
  streams = atoi(argv[3]);
  if (bytes == 0 || threads < 1 || threads > 64 || streams < 1 || streams > 16) {
    fprintf(stderr, "membw: expected MIB > 0, THREADS in 1..64, STREAMS in 1..16\n");
    return 2;
  }
  n_floats = bytes / 4;
  for (int huge = 0; huge < 2; huge++) {
    buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) { perror("membw: mmap"); return 1; }
    madvise(buf, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    for (size_t i = 0; i < n_floats; i++) buf[i] = 1.0f;
    size_t read = (n_floats / threads / streams / 32 * 32) * streams * threads * 4;
    printf("%zu MiB, %d threads x %d streams, huge pages %s:", bytes >> 20, threads, streams, huge ? "asked" : "refused");
    for (int rep = 0; rep < 5; rep++) {
      pthread_t th[64];
      double t0 = now();
      for (long i = 0; i < threads; i++) pthread_create(&th[i], NULL, part, (void *)i);
      for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
      printf(" %.1f", read / (now() - t0) / 1e9);
    }
    float check = 0;
    for (int i = 0; i < threads; i++) check += sums[i];
    printf(" GB/s (sum %.0f)\n", check);
    munmap(buf, bytes);
  }
  return 0;
}
