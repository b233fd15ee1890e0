/*
 * The C ABI between libancm_inproc.so and the managed server (managed/,
 * Ancm.Host.dll) living in the same process.
 *
 * The address of one ancm_managed_host table is handed to managed code as
 * the runtime property "ANCM_MANAGED_HOST" (a decimal integer), set with
 * hostfxr_set_runtime_property_value before hostfxr_run_app. Managed code
 * reads it with AppContext.GetData, calls register_server once its IServer
 * starts (that is when start-up is complete), and from then on receives each
 * request through on_request.
 *
 * Requests are the server's ancm_request objects; managed code drives them
 * through request_api (handler_abi.h) with its own [UnmanagedCallersOnly]
 * completion functions and GCHandle contexts. request_info hands over the
 * request line, headers and peer in one call as spans over native memory.
 *
 * Every managed callback catches every exception: nothing unwinds into C.
 *
 * The C# mirror (managed/Ancm.Host/Native/AncmManagedHost.cs, AncmRequestApi.cs,
 * NativeTypes.cs) is kept by hand and checked: inproc/src/abi_layout.cpp
 * pins the C layout with static_assert, and the managed_unit test compares
 * the C# structs with offsets generated from these headers at build time
 * (tests/managed/abi_layout_dump.cpp).
 */
#ifndef ANCM_MANAGED_ABI_H
#define ANCM_MANAGED_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "ancm/handler_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 3: struct_size; handler ABI 3 (request API struct_size). */
#define ANCM_MANAGED_ABI_VERSION 3u
#define ANCM_MANAGED_HOST_PROPERTY "ANCM_MANAGED_HOST"
/* Runtime property: the URLs the host listens on, ';'-separated (what
 * IServerAddressesFeature lists). Absent outside ancm-host. */
#define ANCM_SERVER_ADDRESSES_PROPERTY "ANCM_SERVER_ADDRESSES"

/* ancm_request_info is defined in handler_abi.h. */

/* What the managed server gives the host when it starts. */
typedef struct ancm_managed_server {
  /* A new request: the server owns it until complete()/abort(). Must not
   * block: queue the work and return. */
  void (*on_request)(ancm_request* request);
  /* The host stops: stop taking requests, finish the running ones (as
   * IHostApplicationLifetime.StopApplication would), then call drained(). */
  void (*on_shutdown)(void);
} ancm_managed_server;

/* host_ctx is passed back to every function that takes it. */
typedef struct ancm_managed_host {
  uint32_t abi_version; /* ANCM_MANAGED_ABI_VERSION */
  /* sizeof(ancm_managed_host) as libancm_inproc.so was built: a field
   * appended later is read only when struct_size covers it. */
  uint32_t struct_size;
  void* host_ctx;
  const ancm_request_api* request_api;
  void (*request_info)(ancm_request* request, ancm_request_info* out);
  /* Start-up is complete: requests flow from now on. Returns 0, or -1 if a
   * server is already registered. The struct is copied. */
  int (*register_server)(void* host_ctx, const ancm_managed_server* server);
  /* Every request answered after on_shutdown. */
  void (*drained)(void* host_ctx);
  /* The managed server's log lines go to the host's debug log. */
  void (*log)(void* host_ctx, int32_t level, const char* message, size_t length);
  /*
   * Main threw before the server registered: the start failed (500.30) with
   * this text (the exception). The caller then parks the thread instead of
   * letting the exception end the process, so the worker can serve the page.
   */
  void (*start_failed)(void* host_ctx, const char* message, size_t length);
  /*
   * web.config's requestLimits maxAllowedContentLength (bytes): the default
   * of the server's MaxRequestBodySize, as IIS in-process hands its limit to
   * IISServerOptions. The front end enforces it (or --max-body-bytes) too.
   */
  uint64_t max_request_body_size;
} ancm_managed_host;

#ifdef __cplusplus
}
#endif

#endif /* ANCM_MANAGED_ABI_H */
