#define _GNU_SOURCE
#include "CSwitchyard.h"
#include <pthread.h>
#include <sched.h>

int csy_pin_current_thread(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return 22; /* EINVAL */
        CPU_SET(cpus[i], &set);
    }
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int csy_name_current_thread(const char *name) {
    char buf[16];
    int i = 0;
    for (; name[i] != 0 && i < 15; i++) buf[i] = name[i];
    buf[i] = 0;
    return pthread_setname_np(pthread_self(), buf);
}
