/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eventfd (count 5, semaphore), signalfd (SIGUSR1, blocked), a 50 ms
 * periodic timerfd, all watched by one epoll.  Every wakeup prints
 * "pid P ticks T efd E sig S": timer ticks read so far, whether the eventfd
 * and the signalfd are readable.  Only the timerfd is read.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(void)
{
	sigset_t m;
	struct itimerspec its = { { 0, 50 * 1000 * 1000 }, { 0, 50 * 1000 * 1000 } };
	struct epoll_event ev;
	int efd, sfd, tfd, ep;
	uint64_t ticks = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	efd = eventfd(5, EFD_SEMAPHORE);
	sfd = signalfd(-1, &m, SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	ep = epoll_create1(0);
	if (efd < 0 || sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
		return 1;
	ev.events = EPOLLIN;
	ev.data.u64 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	ev.data.u64 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u64 = 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	for (;;) {
		struct epoll_event out[3];
		int n = epoll_wait(ep, out, 3, 1000), e = 0, s = 0, t = 0;

		for (int i = 0; i < n; i++) {
			if (out[i].data.u64 == 1)
				e = 1;
			if (out[i].data.u64 == 2)
				s = 1;
			if (out[i].data.u64 == 3)
				t = 1;
		}
		if (t) {
			uint64_t x;

			if (read(tfd, &x, 8) == 8)
				ticks += x;
			printf("pid %d ticks %llu efd %d sig %d\n", getpid(), (unsigned long long)ticks,
			       e, s);
		}
	}
}
