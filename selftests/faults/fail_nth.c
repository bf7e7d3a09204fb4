// SPDX-License-Identifier: GPL-2.0
/*
 * fail_nth: do one kernel operation with its Nth fault-injection point failed.
 *
 *   fail_nth N write PATH STRING     write(2) STRING to PATH (sysfs bind...)
 *   fail_nth N insmod KO [PARAMS]    finit_module(2) KO
 *
 * Arms /proc/thread-self/fail-nth (Documentation/fault-injection/
 * fault-injection.rst) right before the one system call, in the same
 * thread, so only that call's allocations count: a shell cannot do this,
 * every fork, exec and open of its own would be counted too.  failslab and
 * fail_page_alloc must let GFP_KERNEL through (ignore-gfp-wait = N).
 *
 * Prints "rc=<0 or -errno> injected=<0|1>": injected=0 means the call made
 * fewer than N checks, so a sweep over N is complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		fprintf(stderr, "fail_nth: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

static void set_nth(int nth_fd, unsigned long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lu", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		fprintf(stderr, "fail_nth: arming fail-nth: %s\n", strerror(errno));
		exit(2);
	}
}

static unsigned long get_nth(int nth_fd)
{
	char buf[32] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0) {
		fprintf(stderr, "fail_nth: reading fail-nth: %s\n", strerror(errno));
		exit(2);
	}
	return strtoul(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	unsigned long n, left;
	int nth_fd, fd;
	long rc;
	int err;

	if (argc < 4 || (strcmp(argv[2], "write") && strcmp(argv[2], "insmod")) ||
	    (!strcmp(argv[2], "write") && argc != 5)) {
		fprintf(stderr, "usage: fail_nth N write PATH STRING | N insmod KO [PARAMS]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	if (!n) {
		fprintf(stderr, "fail_nth: N counts from 1\n");
		return 2;
	}
	nth_fd = open_or_die("/proc/thread-self/fail-nth", O_RDWR);
	fd = open_or_die(argv[3], strcmp(argv[2], "write") ? O_RDONLY | O_CLOEXEC :
			 O_WRONLY | O_CLOEXEC);

	set_nth(nth_fd, n);
	if (!strcmp(argv[2], "write"))
		rc = write(fd, argv[4], strlen(argv[4]));
	else
		rc = syscall(SYS_finit_module, fd, argc > 4 ? argv[4] : "", 0);
	err = errno;
	left = get_nth(nth_fd);
	/* Disarm before anything else can allocate on our behalf. */
	set_nth(nth_fd, 0);

	printf("rc=%ld injected=%d\n", rc < 0 ? -(long)err : 0, left == 0);
	return 0;
}
