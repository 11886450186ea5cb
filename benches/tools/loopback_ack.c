/*
 * What a loopback read that returns data costs, and how much of it is the
 * receiver's ACK, which Linux sends inside recvmsg() when the read empties the
 * socket after small segments (BENCHMARKS.md).
 *
 * A sender thread writes 36-byte messages (two ticker frames' worth) with a
 * 50 µs sleep between them, stamped with the TSC; the reader spins on a
 * non-blocking recv() and records the cycles each read with data took and the
 * send→read latency.
 *
 * Build: gcc -O2 benches/tools/loopback_ack.c -o /tmp/loopback_ack -lpthread
 * Run:   /tmp/loopback_ack QUICKACK SAME_CORE
 *   QUICKACK  0: default; 1: TCP_QUICKACK off after every read; 2: off once
 *   SAME_CORE 1: sender on core 0 with the reader (as in dhan-feed bench); 0: core 1
 * Cycles are TSC cycles (2.6 GHz on the session-8 machine).
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <x86intrin.h>

enum { N = 20000 };
static int sender_fd, same_core;

static void pin(int core) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(core, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *sender(void *arg) {
    (void)arg;
    pin(same_core ? 0 : 1);
    char m[36];
    memset(m, 1, sizeof m);
    struct timespec d = {0, 50000};
    for (int i = 0; i < N; i++) {
        unsigned long long t = __rdtsc();
        memcpy(m, &t, sizeof t);
        send(sender_fd, m, sizeof m, 0);
        nanosleep(&d, 0);
    }
    return 0;
}

static int cmp(const void *x, const void *y) {
    unsigned long long a = *(const unsigned long long *)x, b = *(const unsigned long long *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s QUICKACK(0|1|2) SAME_CORE(0|1)\n", argv[0]);
        return 2;
    }
    int quickack = atoi(argv[1]);
    same_core = atoi(argv[2]);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    bind(l, (void *)&a, sizeof a);
    listen(l, 1);
    socklen_t al = sizeof a;
    getsockname(l, (void *)&a, &al);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    connect(cfd, (void *)&a, sizeof a);
    sender_fd = accept(l, 0, 0);
    int one = 1, zero = 0;
    setsockopt(sender_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(cfd, F_SETFL, O_NONBLOCK);
    pin(0);
    pthread_t th;
    pthread_create(&th, 0, sender, 0);
    static char buf[65536];
    static unsigned long long rd[N], lat[N];
    long got = 0;
    int k = 0;
    while (got < 36L * N && k < N) {
        unsigned long long t0 = __rdtsc();
        ssize_t r = recv(cfd, buf, sizeof buf, 0);
        unsigned long long t1 = __rdtsc();
        if (r > 0) {
            got += r;
            unsigned long long stamp;
            memcpy(&stamp, buf + r - 36, sizeof stamp);
            rd[k] = t1 - t0;
            lat[k] = t1 - stamp;
            k++;
            if (quickack == 1 || (quickack == 2 && k == 1))
                setsockopt(cfd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
        }
    }
    qsort(rd, k, sizeof rd[0], cmp);
    qsort(lat, k, sizeof lat[0], cmp);
    printf("quickack=%d same_core=%d reads=%d: read-with-data cycles p10 %llu p50 %llu p90 %llu"
           " | send->read p50 %llu cycles\n",
           quickack, same_core, k, rd[k / 10], rd[k / 2], rd[9 * k / 10], lat[k / 2]);
    pthread_join(th, 0);
    return 0;
}
