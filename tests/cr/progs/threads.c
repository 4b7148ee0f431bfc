/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Three worker threads count in memory; the main thread prints
 * "pid P tids A B C counts X Y Z" every 10 ms.  After a restore the thread
 * ids stay and every count goes on from where it was.  Worker i is named
 * "bt-worker-i", so its name can be checked after a restore too.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define N 3

static volatile unsigned long counts[N];
static volatile int tids[N];

static void *worker(void *arg)
{
	long i = (long)arg;
	struct timespec ts = { 0, 1000 * 1000 };
	char name[16];

	snprintf(name, sizeof(name), "bt-worker-%ld", i);
	pthread_setname_np(pthread_self(), name);
	tids[i] = gettid();
	for (;;) {
		counts[i]++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (;;) {
		nanosleep(&ts, NULL);
		printf("pid %d tids %d %d %d counts %lu %lu %lu\n", getpid(), tids[0], tids[1],
		       tids[2], counts[0], counts[1], counts[2]);
	}
}
