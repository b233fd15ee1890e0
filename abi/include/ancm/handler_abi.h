/*
 * The C ABI between ancm-host (server + shim) and a request handler library
 * (libancm_inproc.so, libancm_outofproc.so, or a test handler).
 *
 * Only C types cross this boundary, so a handler can be built separately and
 * loaded with dlopen, as ANCM loads its handler DLLs. A handler library exports
 * one symbol, ANCM_HANDLER_ENTRY_SYMBOL, returning its function table.
 *
 * Threading: request functions may be called from any thread; the server
 * marshals them onto the connection's own executor. Callbacks given to the
 * server run on a server I/O thread and must not block.
 *
 * Versions and sizes. Every table starts with its size in bytes
 * (struct_size, after abi_version where there is one), filled in by the side
 * that provides the table with sizeof as it was built. ANCM_HANDLER_ABI_VERSION
 * changes when a layout already published changes (a field moved, removed or
 * retyped): both sides then refuse each other. A function appended at the end
 * of a table keeps the version and grows struct_size, so an older reader keeps
 * working with a newer table. A reader calls an appended function only when
 * ANCM_ABI_HAS(type, table, member) says the table it was given reaches it.
 * The handler glue (handler_glue.h) checks the version and sizes of what it is
 * given in create_application and fails it with a message saying which side is
 * too old; the shim checks the handler's table the same way.
 */
#ifndef ANCM_HANDLER_ABI_H
#define ANCM_HANDLER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 3: struct_size in every table, generation-checked request handles. */
#define ANCM_HANDLER_ABI_VERSION 3u
#define ANCM_HANDLER_ENTRY_SYMBOL "ancm_handler_entry"

/* 1 when *table (of type type, with a struct_size) holds member in full. */
#define ANCM_ABI_HAS(type, table, member) \
  ((size_t)(table)->struct_size >= offsetof(type, member) + sizeof((table)->member))

/* A byte span owned by whoever hands it out; valid as documented per call. */
typedef struct ancm_str {
  const char* data;
  size_t len;
} ancm_str;

typedef struct ancm_kv {
  ancm_str name;
  ancm_str value;
} ancm_kv;

typedef enum ancm_log_level {
  ANCM_LOG_TRACE = 0,
  ANCM_LOG_INFO = 1,
  ANCM_LOG_WARNING = 2,
  ANCM_LOG_ERROR = 3,
  /* Not a level: keeps the enum as wide as int with every compiler and flag
   * (-fshort-enums), so both sides pass it alike. Never sent. */
  ANCM_LOG_LEVEL_INT_WIDTH_ = 0x7fffffff
} ancm_log_level;

/* How a handler reports a failure that the shim turns into an error page. */
typedef struct ancm_failure {
  int status;      /* e.g. 500, 502 */
  int substatus;   /* e.g. 30, 5 */
  ancm_str reason; /* one line: what went wrong */
  ancm_str detail; /* shown only with detailed errors: app output, exception */
} ancm_failure;

/* ------------------------------------------------------------------ request */

/*
 * One request, owned by the server. The handle is good from handle_request
 * until the handler calls complete() or abort(); the server may hand out the
 * same memory for the connection's next request, so it tells a handle of an
 * ended request ("stale") apart from the current one. A call with a stale
 * handle made while its connection still lives is refused, never applied to
 * another request: functions that return int give -ESTALE; those with a
 * callback call it (on a server I/O thread) with status -ESTALE, bytes 0
 * (on_disconnect: client_gone = 0; upgrade: stream NULL); getters return an
 * empty span, 0 or NULL; request_info fills *out with zeros; complete and
 * abort do nothing. The server logs the first stale call of a connection as a
 * warning. A handle used after its connection is gone is undefined behaviour,
 * as before; and the check (a 16-bit generation) repeats every 65,536
 * requests on one connection.
 */
typedef struct ancm_request ancm_request;

/* status: 0 = ok, otherwise a negative errno-style code (e.g. -ECONNRESET). */
typedef void (*ancm_io_callback)(void* ctx, int status, size_t bytes);
typedef void (*ancm_disconnect_callback)(void* ctx, int client_gone);

/*
 * A raw duplex stream after a successful upgrade (WebSockets). The stream
 * belongs to the handler until it calls close. Under HTTP/1.1 it is the
 * connection's bytes after the 101; under HTTP/2 it is one stream's DATA
 * frames after the 2xx to an extended CONNECT (RFC 8441; see upgrade and
 * connect_protocol), with HTTP/2's flow control, and the other streams of
 * the connection go on.
 */
typedef struct ancm_stream ancm_stream;

/* The request line, headers and peer, valid until complete()/abort(). */
typedef struct ancm_request_info {
  ancm_str method;
  ancm_str target; /* raw request-target */
  ancm_str path;   /* up to '?' */
  ancm_str query;  /* after '?', without it */
  const ancm_kv* headers;
  size_t header_count;
  ancm_str remote_address;
  ancm_str local_address;
  uint16_t remote_port;
  uint16_t local_port;
  int32_t http_version; /* 10, 11 or 20 (HTTP/2) */
  int32_t has_body;
  int32_t is_tls;
} ancm_request_info;

/* What a TLS handshake agreed (tls_info). */
typedef struct ancm_tls_info {
  ancm_str protocol;    /* "TLSv1.2" or "TLSv1.3" */
  ancm_str cipher;      /* the cipher suite, OpenSSL's name for it */
  ancm_str alpn;        /* the protocol ALPN chose ("h2", "http/1.1"), empty when none */
  ancm_str server_name; /* the name the client asked for (SNI), empty when none */
  /* The client's certificate, DER; NULL and 0 when none was sent. */
  const uint8_t* client_certificate;
  size_t client_certificate_len;
} ancm_tls_info;

typedef struct ancm_request_api {
  uint32_t abi_version; /* ANCM_HANDLER_ABI_VERSION */
  uint32_t struct_size; /* sizeof(ancm_request_api) as the server was built */

  /* Request line and headers: spans valid until complete() is called. */
  ancm_str (*method)(ancm_request*);
  ancm_str (*target)(ancm_request*);  /* raw request-target */
  ancm_str (*path)(ancm_request*);    /* target up to '?' */
  ancm_str (*query)(ancm_request*);   /* after '?', without it; may be empty */
  int (*http_version)(ancm_request*); /* 10, 11 or 20 (HTTP/2) */
  size_t (*header_count)(ancm_request*);
  const ancm_kv* (*headers)(ancm_request*); /* header_count entries, in order */
  ancm_str (*remote_address)(ancm_request*);
  uint16_t (*remote_port)(ancm_request*);
  ancm_str (*local_address)(ancm_request*);
  uint16_t (*local_port)(ancm_request*);
  int (*is_tls)(ancm_request*);
  /* 1 when the request has a body (Content-Length > 0 or chunked). */
  int (*has_body)(ancm_request*);

  /*
   * Reads up to cap bytes of the (de-chunked) request body into buf. The
   * callback gets bytes > 0, or bytes == 0 with status 0 at the end of the
   * body, or status < 0 on error. One read at a time. -EBADMSG: the body
   * broke HTTP's framing (a malformed chunk); -EMSGSIZE: it passed the body
   * limit. For those two the server answers 400 or 413 itself when nothing
   * of the response went out yet, and refuses the handler's writes from then
   * on; the handler still ends the request with complete() or abort().
   * Other errors (e.g. -ECONNRESET) mean the client went away.
   */
  void (*read_body)(ancm_request*, void* buf, size_t cap, ancm_io_callback cb, void* ctx);

  /* Response head: allowed until the first write or flush. */
  int (*set_status)(ancm_request*, int status, ancm_str reason);
  int (*add_header)(ancm_request*, ancm_str name, ancm_str value);

  /*
   * Appends body bytes (copied before return) and sends them; the callback
   * (may be NULL) runs once they are handed to the socket. Without a
   * Content-Length header the body is sent chunked (HTTP/1.1) or until close.
   */
  void (*write_body)(ancm_request*, const void* data, size_t len, ancm_io_callback cb, void* ctx);
  /* Sends the head (and anything pending) now. */
  void (*flush)(ancm_request*, ancm_io_callback cb, void* ctx);
  /* Ends the response. The request must not be used afterwards. */
  void (*complete)(ancm_request*);
  /*
   * Ends the request by closing the connection, so the client sees the
   * response as cut short (the backend failed mid-body). Instead of complete().
   */
  void (*abort)(ancm_request*);

  /*
   * The callback runs exactly once: with client_gone = 1 as soon as the
   * client goes away before the request ends, else with client_gone = 0 when
   * it ends (complete or abort), so ctx can always be released.
   */
  void (*on_disconnect)(ancm_request*, ancm_disconnect_callback cb, void* ctx);

  /*
   * Sends the response head and turns the request into a raw stream, handed
   * to the callback (NULL on failure). complete() still ends the request;
   * the stream outlives it until stream_close. Stream reads give bytes == 0
   * at the client's end of stream; a read or write fails with a negative
   * code once the client is gone. The stream calls may come from any
   * thread; their callbacks run on a server I/O thread.
   *
   * HTTP/1.1: the status must be 101, the request has no body; the
   * connection becomes the stream once the 101 is written. Bytes the client
   * sent after the request are the stream's first bytes. stream_close
   * closes the connection.
   *
   * HTTP/2: only an extended CONNECT (connect_protocol is not empty) is
   * upgraded. The status must be 2xx, or 101, which goes out as 200 (so a
   * handler relaying an HTTP/1.1 101 needs no HTTP/2 knowledge); the
   * response's headers go with it (HTTP/1's connection-specific ones are
   * dropped). The stream is handed over as soon as the HEADERS frame is
   * queued (frames keep their order). Reads take the client's DATA, and
   * the stream's window grows back only as the handler reads; writes go
   * as DATA, each callback once the bytes are written to the socket; the
   * client's END_STREAM is a read of 0 bytes, its RST_STREAM a failed read
   * or write (-ECONNRESET). stream_close sends END_STREAM after the queued
   * writes (then RST_STREAM NO_ERROR if the client still sends); abort()
   * or reset() of a request not yet ended resets the stream.
   */
  void (*upgrade)(ancm_request*, void (*cb)(void* ctx, ancm_stream* stream), void* ctx);
  void (*stream_read)(ancm_stream*, void* buf, size_t cap, ancm_io_callback cb, void* ctx);
  void (*stream_write)(ancm_stream*, const void* data, size_t len, ancm_io_callback cb, void* ctx);
  void (*stream_close)(ancm_stream*);

  /* Everything of the request line, headers and peer in one call. */
  void (*request_info)(ancm_request*, ancm_request_info* out);

  /*
   * SAME-BUILD EXTENSION, not part of the portable C contract: it hands a C++
   * object across. For handlers written with Boost.Asio (use
   * ancm/connection_executor.h, never this pointer directly): a pointer to the
   * connection's executor, an ancm::abi::ConnectionExecutor (a strand, or the
   * loop itself when one thread runs it: ancm/serial_executor.h), or NULL.
   * Conditions, all required:
   *  - boost_version is the caller's BOOST_VERSION and equals the server's
   *    (else NULL): the executor's layout and Asio's inline code must be one;
   *  - the executable exports Asio's per-thread state and the executor's marks
   *    (ancm-host does, see tools/ancm-host/asio_shared_state.dynlist; else
   *    NULL), so Asio code in the handler sees the server's threads as its own;
   *  - the caller names the type exactly as above, built from the same
   *    ancm/serial_executor.h;
   *  - lifetime: the pointer is valid until the request ends (complete or
   *    abort); a copy of the executor made before that keeps its state
   *    alive as long as the copy, and work posted to it runs
   *    on the connection's threads while the worker's io_context runs.
   * A handler that runs its own I/O on the executor shares the connection's
   * thread and needs no thread hop to answer. NULL for a stale handle.
   */
  const void* (*connection_executor)(ancm_request*, uint32_t boost_version);

  /*
   * write_body without the copy, for large bodies: the bytes must stay valid
   * and unchanged until the callback (required) runs, which it always does,
   * with status < 0 if the response ends first.
   */
  void (*write_body_borrowed)(ancm_request*, const void* data, size_t len, ancm_io_callback cb,
                              void* ctx);

  /*
   * The trailer fields of a chunked request body, in the order sent (*count
   * of them, repeated names repeated), or *count = 0 when there are none.
   * Known once a read_body callback reported the end of the body (bytes == 0,
   * status 0); before that *count is 0. Call it after that callback, from
   * any thread: it only reads what the server stored before the callback ran
   * (no hop to the strand). The spans stay valid until complete()/abort().
   */
  const ancm_kv* (*request_trailers)(ancm_request*, size_t* count);

  /*
   * One slot per client connection for the handler's own data, e.g. the
   * upstream connection a proxy keeps for that client's next request. It is
   * per connection, not per request: every request of the connection sees
   * the same value (under HTTP/2 the streams of one
   * connection share it, and their requests may be in flight at once).
   *
   * connection_data returns the data last set with this same release
   * function, or NULL when the slot is empty, was set with another release
   * function (a configuration change can hand the connection to another
   * handler, whose data this handler must not read), or the handle is stale.
   *
   * set_connection_data puts data (NULL: nothing) in the slot and returns 0;
   * the slot then owns it, and release (may be NULL) runs exactly once with
   * data: when the value is replaced by another set_connection_data (on that
   * caller's thread, before it returns) or when the client connection closes
   * (on a server I/O thread, the connection's strand; a connection that
   * closes during a request keeps the value until that request ended), or
   * at the latest when the server destroys the connection. So what
   * connection_data returned stays valid until complete()/abort(), unless
   * the handler replaces it itself; setting the value it already holds
   * releases nothing. It fails, and the caller keeps data
   * (release is not called), with -ESTALE for a stale handle. (While its
   * request is current a connection's slot is open: one that closed during
   * the request takes the value and releases it when that request ends.)
   *
   * Both may be called from any thread while the request is current; they
   * take a lock, never a hop to the strand. release must not block and must
   * not call the request API.
   */
  void* (*connection_data)(ancm_request*, void (*release)(void* data));
  int (*set_connection_data)(ancm_request*, void* data, void (*release)(void* data));

  /*
   * A response trailer field, sent after the body: in the HEADERS frame that
   * ends an HTTP/2 stream, or in the last chunk of a chunked HTTP/1.1
   * response. With any other framing (Content-Length, HTTP/1.0, no body for
   * HEAD or 304) trailers are dropped, as HTTP allows. Any thread, until
   * complete(), under the same lock as add_header. Returns 0; -EINVAL for a
   * name or value that is not a valid field (or a field HTTP forbids as a
   * trailer, such as Content-Length); -EALREADY once the last chunk or frame
   * went out; -ESTALE.
   */
  int (*add_trailer)(ancm_request*, ancm_str name, ancm_str value);

  /*
   * Ends the request instead of complete(): under HTTP/2 the stream is reset
   * with error_code (RFC 9113 section 7, e.g. 0x8 CANCEL) and the connection
   * and its other streams go on; under HTTP/1.x it does what abort() does.
   * The request must not be used afterwards. A reset the client sends reaches
   * the handler as on_disconnect's client_gone = 1 and body reads and writes
   * failing with -ECONNRESET.
   */
  void (*reset)(ancm_request*, uint32_t error_code);

  /*
   * What the TLS handshake of the request's connection agreed. Returns 0 and
   * fills *out for a request that came over TLS; -ENOENT over cleartext (out
   * is zeroed); -ESTALE. The spans stay valid until complete()/abort(). Any
   * thread (it reads what the handshake fixed).
   */
  int (*tls_info)(ancm_request*, struct ancm_tls_info* out);

  /*
   * The :protocol of an HTTP/2 extended CONNECT (RFC 8441), e.g.
   * "websocket": such a request is a CONNECT whose target is its :path, and
   * the handler answers it with upgrade() (a tunnel) or with an ordinary
   * response (a refusal). An empty span for every other request, and for a
   * stale handle. Valid until complete()/abort(); any thread.
   */
  ancm_str (*connect_protocol)(ancm_request*);

  /*
   * Appended: call it only when ANCM_ABI_HAS(ancm_request_api, api,
   * write_body_from_pipe). A body piece that already waits in a pipe: the
   * server moves exactly len bytes from pipe_fd (the read end; the bytes are
   * all in it already, put there with splice(2) from the handler's own
   * socket, say) to the client after what was written before, and calls cb
   * once they are written. On a framing that sends the bytes as they are
   * (Content-Length, or until close) it splices them, so they never enter
   * user space; one that needs them (chunked) or drops them (HEAD, 304) reads
   * them out of the pipe instead. The handler keeps pipe_fd open and writes
   * nothing else to the response until cb; complete() may come before it
   * (the response ends after the piece).
   * Returns 0 when the piece was taken (cb always runs), or without calling
   * cb: -EOPNOTSUPP when this request's connection cannot take a piece this
   * way (TLS, HTTP/2: write the bytes with write_body instead), or -ESTALE.
   * With len 0 it only answers that (0, -EOPNOTSUPP or -ESTALE), and ignores
   * pipe_fd and cb. cb's status: 0 (bytes = len); -EIO when the pipe held
   * fewer bytes than len; -EMSGSIZE past the response's Content-Length;
   * -EBUSY while another piece is on its way; -EINVAL after complete() or
   * abort(); -ECONNRESET when the response ended first. After a failure
   * bytes may be left in the pipe: the handler must not use it again. The
   * process must ignore SIGPIPE (splice(2) has no MSG_NOSIGNAL). Any thread;
   * cb runs on the connection's strand, never inside this call.
   */
  int (*write_body_from_pipe)(ancm_request*, int pipe_fd, size_t len, ancm_io_callback cb,
                              void* ctx);

  /*
   * Appended: call it only when ANCM_ABI_HAS(ancm_request_api, api,
   * set_min_body_rate). The slowest the client may send this request's body
   * (Kestrel's MinRequestBodyDataRate): only the time the handler's body
   * reads wait for bytes counts, and once more than grace_ms of it has passed,
   * a read still waiting while fewer than bytes_per_second bytes per second
   * of that time came is given up. The server then answers 408 when nothing
   * of the response went out yet, else it cuts the response short (HTTP/1.x
   * closes the connection, HTTP/2 resets the stream with CANCEL); the read
   * fails with -ETIMEDOUT, and the handler still ends the request with
   * complete() or abort(). Every request starts with
   * ANCM_DEFAULT_MIN_BODY_RATE and ANCM_DEFAULT_MIN_BODY_RATE_GRACE_MS;
   * bytes_per_second 0 turns the check off for the request (a body that
   * streams at the client's pace, such as a gRPC client stream), leaving
   * io_timeout alone to bound one stalled read. Takes effect at once, for a
   * read that waits already too. Returns 0; -EINVAL for a grace_ms under 1000 with a rate (the
   * server checks once a second); -ESTALE. Any thread.
   */
  int (*set_min_body_rate)(ancm_request*, uint32_t bytes_per_second, uint32_t grace_ms);

  /*
   * Appended: call it only when ANCM_ABI_HAS(ancm_request_api, api,
   * read_body_to_pipe). read_body's twin for a body the handler passes on
   * to a socket of its own (a proxy's upstream): up to max body bytes go
   * into pipe_fd (the write end of a pipe, non-blocking, with room for max
   * bytes), from the client's socket by splice(2) where they can, so they
   * never enter user space; the handler moves them on from the pipe's read
   * end (splice(2) again) before its next read. cb as read_body's: bytes > 0
   * put into the pipe, bytes == 0 with status 0 at the end of the body,
   * status < 0 on error, with read_body's codes and these: -EINVAL (a read
   * already pending, or after complete()/abort()); -EIO when the pipe took
   * no byte: it is closed or no pipe, or it had no room for the bytes that
   * came (the request's connection then closes). A pipe counts its room
   * in pages, and spliced bytes may fill pages in part: a read may bring
   * fewer bytes than max though more had come. One body read at a time,
   * of either kind; the body rate, the body limit and io_timeout hold as
   * for read_body.
   * Returns 0 when the read was taken (cb always runs, on the connection's
   * strand, never inside this call), or without calling cb: -EOPNOTSUPP when
   * this request's body cannot come this way (TLS, HTTP/2, a chunked body:
   * read it with read_body), or -ESTALE. With max 0 it only answers that (0,
   * -EOPNOTSUPP or -ESTALE), and ignores pipe_fd and cb. Any thread.
   */
  int (*read_body_to_pipe)(ancm_request*, int pipe_fd, size_t max, ancm_io_callback cb, void* ctx);
} ancm_request_api;

/* What set_min_body_rate starts every request with: Kestrel's defaults. */
#define ANCM_DEFAULT_MIN_BODY_RATE 240u
#define ANCM_DEFAULT_MIN_BODY_RATE_GRACE_MS 5000u

/* -------------------------------------------------------------- application */

/*
 * What a handler tells the host about the processes behind its application
 * (report_event), for the host's metrics. Out-of-process only: the in-process
 * handler has no child process and reports nothing. Values are never reused.
 */
typedef enum ancm_host_event {
  /* A child process was spawned (the first start and every restart). */
  ANCM_HOST_EVENT_CHILD_STARTED = 0,
  /*
   * A child that had started listening exited without being asked to (it
   * crashed, was killed, or stopped listening and was replaced). Exits during
   * the application's stop are not reported.
   */
  ANCM_HOST_EVENT_CHILD_CRASHED = 1,
  /*
   * A start failed: the process could not be spawned, exited during start-up,
   * or did not listen within startupTimeLimit.
   */
  ANCM_HOST_EVENT_CHILD_START_FAILED = 2,
  /* rapidFailsPerMinute was passed: new starts are refused from now on. */
  ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED = 3,
  /*
   * Starts are allowed again: the failures aged out of the minute, or the
   * application stopped while blocked. Follows every BLOCKED, once.
   */
  ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED = 4,
  /* Not an event: keeps the enum as wide as int, as for ancm_log_level. */
  ANCM_HOST_EVENT_INT_WIDTH_ = 0x7fffffff
} ancm_host_event;

/* What the shim offers a handler. Valid for the application's lifetime. */
typedef struct ancm_host_services {
  uint32_t struct_size; /* sizeof(ancm_host_services) as the shim was built */
  void* ctx;
  void (*log)(void* ctx, ancm_log_level level, ancm_str message);
  /* Ask the master for a fresh worker (e.g. the runtime cannot restart). */
  void (*request_recycle)(void* ctx, ancm_str reason);
  /*
   * Answers a request the handler took (handle_request returned ANCM_OK) with
   * the shim's page for this failure, and completes it. For failures found
   * after handle_request returned, e.g. a process that did not start.
   */
  void (*fail_request)(void* ctx, ancm_request* request, const ancm_failure* failure);
  /*
   * Appended: a handler calls it only when ANCM_ABI_HAS(ancm_host_services,
   * host, report_event) (an older shim's table ends before it), and it may
   * be NULL. Tells the host one event of the application's processes
   * (ancm_host_event). Any thread, e.g. a handler's own supervising thread,
   * between create_application and the end of the application's stop; it
   * only counts (no I/O, no lock held long), must not block the caller, and
   * may be called while the handler holds its own locks: it never calls back
   * into the handler.
   */
  void (*report_event)(void* ctx, ancm_host_event event);
} ancm_host_services;

/*
 * Everything the handler needs to run one application. All spans are valid
 * only during create_application; the handler copies what it keeps.
 * settings carry every resolved aspNetCore attribute by its web.config name
 * ("processPath", "startupTimeLimit" in seconds, "requestTimeout" in seconds,
 * ...), then "handlerSetting:<name>" entries for handlerSettings, and
 * "bindings": the URLs the worker listens on, ';'-separated.
 * environment holds the web.config environmentVariables, already expanded.
 */
typedef struct ancm_app_params {
  uint32_t abi_version; /* ANCM_HANDLER_ABI_VERSION */
  uint32_t struct_size; /* sizeof(ancm_app_params) as the shim was built */
  ancm_str config_path; /* absolute path of web.config */
  ancm_str app_path;    /* absolute path of the application folder */
  const ancm_kv* settings;
  size_t settings_count;
  const ancm_kv* environment;
  size_t environment_count;
  const ancm_host_services* host;
  const ancm_request_api* request_api;
} ancm_app_params;

typedef struct ancm_application ancm_application; /* owned by the handler */

/* Results of create_application and handle_request. */
typedef enum ancm_result {
  ANCM_OK = 0,
  ANCM_FAILED = 1 /* *failure is filled in */
} ancm_result;

typedef struct ancm_handler_api {
  uint32_t abi_version; /* ANCM_HANDLER_ABI_VERSION */
  uint32_t struct_size; /* sizeof(ancm_handler_api) as the handler was built */
  const char* name;     /* for logs, e.g. "outofprocess" */

  /* On failure, strings in *failure stay valid until the next call. */
  ancm_result (*create_application)(const ancm_app_params* params, ancm_application** app,
                                    ancm_failure* failure);
  /*
   * Takes the request: the handler completes it (now or later) on ANCM_OK.
   * On ANCM_FAILED the handler has not touched the response and the shim
   * renders *failure, whose strings stay valid until the next call on the
   * same thread.
   */
  ancm_result (*handle_request)(ancm_application* app, ancm_request* request,
                                ancm_failure* failure);
  /* Begins a graceful stop; server_initiated is 1 when the host shuts down. */
  void (*stop)(ancm_application* app, int server_initiated);
  void (*add_ref)(ancm_application* app);
  /* Dropping the last reference waits for the stop and frees it. */
  void (*release)(ancm_application* app);
  /*
   * Waits until the application has settled: 1 when it started (or starts
   * lazily, on its first request), 2 when it failed and requests get its
   * error page, 0 when timeout_ms passed first. Lets a new worker preload the
   * app before it takes over (overlapped recycle), and say which it was.
   * (Handlers before 2 was defined return 1 for both.)
   */
  int (*wait_settled)(ancm_application* app, int64_t timeout_ms);
} ancm_handler_api;

typedef const ancm_handler_api* (*ancm_handler_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* ANCM_HANDLER_ABI_H */
