/*
 * np_conn: a non-blocking TCP client connection on a libevent loop,
 * without bufferevents, for programs that keep many busy connections
 * to our services and must spend little per message: npsim's radio
 * units and np_httpc (npsim's calls).
 *
 * Why not a bufferevent: before each read it asks the kernel how much
 * is waiting (ioctl FIONREAD), and every write arms the socket's write
 * event (epoll_ctl), waits for the next loop pass, writes, and disarms
 * it again (epoll_ctl) -- four system calls and a wake-up where one
 * does, and a system call costs microseconds on a virtual machine.
 * Here a readable socket is read once per loop pass into the input
 * buffer and handed to the read callback, which takes the whole lines
 * or messages it finds and says how many bytes it used (the rest stays
 * for the next read).  Output is appended with np_conn_add and goes out
 * in one write when the owner calls np_conn_flush (at the end of its
 * callback: one write per connection and pass); the write event is
 * armed only while the kernel refuses bytes.
 *
 * The event callback hears of the connect (NP_CONN_CONNECTED), and of
 * the end of the connection: EOF, an error (connect, read, write) or an
 * input message longer than in_max (NP_CONN_TOOLONG) -- the socket is
 * then already closed, the buffered bytes dropped, and the owner may
 * connect again at once.  NP_CONN_TIMEOUT (np_conn_timeout) closes
 * nothing: the owner decides.  Errors are always reported from the
 * loop, never from inside np_conn_add or np_conn_flush.  Callbacks may
 * close or reconnect the connection.
 *
 * Ownership: struct np_conn is embedded in its owner (no allocation but
 * the buffers, kept across reconnects); np_conn_free releases them.
 */
#ifndef NP_CONN_H
#define NP_CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/event_struct.h>

enum np_conn_what {
	NP_CONN_CONNECTED,
	NP_CONN_EOF,
	NP_CONN_ERROR,
	NP_CONN_TOOLONG,
	NP_CONN_TIMEOUT,
};

struct np_conn;

/* The bytes read and not yet used: returns how many it used (<= len). */
typedef size_t	np_conn_read_cb(struct np_conn *, char *buf, size_t len,
		    void *arg);
typedef void	np_conn_event_cb(struct np_conn *, enum np_conn_what,
		    void *arg);

struct np_conn {
	struct event_base	*base;
	struct event		 rev, wev;
	int			 fd;		/* -1: closed */
	int			 connecting;
	int			 werr;		/* errno of a failed write */
	unsigned		 gen;		/* +1 at every close */
	int			 timeout_ms;	/* 0: none */
	char			*in, *out;
	size_t			 ilen, icap, imax;
	size_t			 ooff, olen, ocap, omax;
	np_conn_read_cb		*on_read;
	np_conn_event_cb	*on_event;
	void			*arg;
};

/* in_max, out_max: the most bytes buffered each way. */
void	np_conn_init(struct np_conn *, struct event_base *, size_t in_max,
	    size_t out_max, np_conn_read_cb *, np_conn_event_cb *, void *arg);
/* Start connecting; 0, or -1 with errno (nothing to close then). */
int	np_conn_connect(struct np_conn *, const struct sockaddr *,
	    socklen_t);
int	np_conn_is_open(const struct np_conn *);
/* Close the socket (no callback), drop what is buffered. */
void	np_conn_close(struct np_conn *);
/* Close, and free the buffers. */
void	np_conn_free(struct np_conn *);
/*
 * Append to the output (kept while connecting); 0, or -1 when closed,
 * out of memory or over out_max (the connection is then failing: the
 * event callback will say so).
 */
int	np_conn_add(struct np_conn *, const void *, size_t);
/* Write what the socket takes now; the rest when it is writable. */
void	np_conn_flush(struct np_conn *);
/*
 * NP_CONN_TIMEOUT after ms (0: never) without bytes read, counted again
 * from each read and from each call of np_conn_timeout; a connect that
 * takes longer fails (NP_CONN_ERROR).  Set it before connecting.
 */
void	np_conn_timeout(struct np_conn *, int ms);

#endif
