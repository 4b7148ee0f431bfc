/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		puts("berth version 0.1.0");
		return 0;
	}
	fprintf(stderr, "berth: no command given\n");
	return 1;
}
