/* OpenBLAS sgemm peer for `ScaleLab.Benchmarks engine`: times cblas_sgemm on the shapes given as arguments
 * "TA,TB,M,N,K" (TA/TB are N or T, row-major C (M x N) += op(A) op(B)), prints one line "GFLOP/s" per shape.
 * Threads come from OPENBLAS_NUM_THREADS. Timing: best of 5 rounds, each repeating the call for >= 50 ms.
 * Build: gcc -O2 engine_sgemm.c -lopenblas -o engine_sgemm */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    for (int s = 1; s < argc; s++) {
        char ta, tb;
        int m, n, k;
        if (sscanf(argv[s], "%c,%c,%d,%d,%d", &ta, &tb, &m, &n, &k) != 5) {
            fprintf(stderr, "bad shape %s\n", argv[s]);
            return 2;
        }
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = calloc((size_t)m * n, sizeof(float));
        for (long i = 0; i < (long)m * k; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        for (long i = 0; i < (long)k * n; i++) b[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
        int lda = ta == 'N' ? k : m, ldb = tb == 'N' ? n : k;
        enum CBLAS_TRANSPOSE opa = ta == 'N' ? CblasNoTrans : CblasTrans, opb = tb == 'N' ? CblasNoTrans : CblasTrans;
        double best = 1e30;
        cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, n);
        for (int round = 0; round < 5; round++) {
            int reps = 0;
            double t0 = now(), t1;
            do {
                cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, n);
                reps++;
                t1 = now();
            } while (t1 - t0 < 0.05);
            double per = (t1 - t0) / reps;
            if (per < best) best = per;
        }
        printf("%.3f\n", 2.0 * m * n * k / best / 1e9);
        free(a); free(b); free(c);
    }
    return 0;
}
