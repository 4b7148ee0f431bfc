/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The berth-shim attach protocol, spoken on the unix stream socket
 * <state-dir>/attach.  Shared by the shim and its clients (berthctl).
 *
 * A client connects and sends one request line (at most SHIM_REQ_MAX bytes,
 * ending in '\n'):
 *
 *   attach [stdin]           stream the container's output; "stdin": also be
 *                            the one writer of its stdin
 *   exec TTY STDIN PROCESS   run the process described by the OCI process JSON
 *                            file PROCESS in the container (TTY, STDIN: 0 or 1);
 *                            its output and exit status go to this client only
 *   kill SIGNAL              send SIGNAL (a number) to the container's init
 *   wait                     answer with the final exit status of the container
 *   start                    with --attach-first: start the process without
 *                            an attached client (berthctl run -d, once the
 *                            container's network is set up)
 *
 * The shim answers with frames: one byte of type, four bytes of payload length
 * (big endian), the payload.  The first frame is SHIM_FRAME_OK or
 * SHIM_FRAME_FAIL (payload: the error message).  After that the client may
 * send SHIM_FRAME_STDIN / SHIM_FRAME_CLOSE / SHIM_FRAME_RESIZE frames, and
 * receives SHIM_FRAME_STDOUT / SHIM_FRAME_STDERR frames and, when the process
 * ends, one SHIM_FRAME_EXIT frame whose payload is "CODE SIGNAL OOM" in
 * decimal (CODE is 128+SIGNAL when a signal ended it).  Closing the socket
 * detaches; the container does not notice.
 */
#ifndef BERTH_SHIM_ATTACH_H
#define BERTH_SHIM_ATTACH_H

#include <stdint.h>

#define SHIM_REQ_MAX 4096
#define SHIM_FRAME_HDR 5

enum shim_frame_type {
	SHIM_FRAME_OK = 'S',
	SHIM_FRAME_FAIL = 'F',
	SHIM_FRAME_STDOUT = 'O',
	SHIM_FRAME_STDERR = 'E',
	SHIM_FRAME_EXIT = 'X',
	SHIM_FRAME_STDIN = 'I',
	SHIM_FRAME_CLOSE = 'C',
	SHIM_FRAME_RESIZE = 'R', /* payload: rows, cols as two big-endian uint16 */
};

static inline void shim_frame_header(unsigned char hdr[SHIM_FRAME_HDR], int type, uint32_t len)
{
	hdr[0] = (unsigned char)type;
	hdr[1] = (unsigned char)(len >> 24);
	hdr[2] = (unsigned char)(len >> 16);
	hdr[3] = (unsigned char)(len >> 8);
	hdr[4] = (unsigned char)len;
}

static inline uint32_t shim_frame_len(const unsigned char hdr[SHIM_FRAME_HDR])
{
	return (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 8 | hdr[4];
}

#endif
