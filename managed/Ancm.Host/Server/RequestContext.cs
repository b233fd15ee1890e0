// One request from on_request to complete()/abort(): runs on the thread pool,
// reads the request from native memory, runs the application over a feature
// collection that is this object itself (as Kestrel's HttpProtocol does), and
// ends the native request exactly once. The feature interfaces live in the
// other RequestContext.*.cs files.
using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IThreadPoolWorkItem
{
    private readonly ServerCore _server;
    private readonly NativeRequest _native;
    private readonly NativeWriter _writer;

    protected RequestContext(ServerCore server, NativeRequest native)
    {
        _server = server;
        _native = native;
        _writer = new NativeWriter(native);
        _maxRequestBodySize = server.Options.MaxRequestBodySize;
        _allowSynchronousIO = server.Options.AllowSynchronousIO;
        _requestBody = new RequestBodyStream(this);
        _bodyWriter = new ResponseBodyWriter(this);
        _responseBody = new ResponseBodyStream(this);
        InitializeFeatures();
    }

    protected ServerCore Server => _server;

    /// <summary>Set by the server before queueing: answer 503 without the app.</summary>
    internal bool ArrivedWhileStopping { get; set; }

    void IThreadPoolWorkItem.Execute() => _ = ProcessAsync();

    private async Task ProcessAsync()
    {
        try
        {
            if (ArrivedWhileStopping)
            {
                RespondWithoutApplication(StatusCodes.Status503ServiceUnavailable);
                return;
            }
            if (!TryReadRequest())
                return;
            await RunApplicationAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _server.LogError(e, "The server failed while processing a request");
            _native.Abort();
        }
        finally
        {
            ReleaseResources();
            _server.Tracker.Exit();
        }
    }

    /// <summary>CreateContext, ProcessRequestAsync, EndResponseAsync, OnCompleted, DisposeContext.</summary>
    protected abstract Task RunApplicationAsync();

    private unsafe bool TryReadRequest()
    {
        AncmRequestInfo info;
        _native.GetInfo(&info, _server.Host);
        try
        {
            ReadRequest(in info);
            ApplyServerMinDataRate();
            return true;
        }
        catch (BadHttpRequestException e)
        {
            _server.Logger.LogBadRequest(e);
            RespondWithoutApplication(e.StatusCode);
            return false;
        }
    }

    /// <summary>An answer the application never sees (bad request, stopping).</summary>
    private void RespondWithoutApplication(int status)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status);
        Span<byte> bytes = stackalloc byte[reason.Length];
        System.Text.Encoding.ASCII.GetBytes(reason, bytes);
        _native.SetStatus(status, bytes);
        _native.AddHeader("Content-Length"u8, "0"u8);
        _native.Complete();
    }

    // Asked for when the app first looks at RequestAborted: most requests never
    // do, and need neither the native call nor its callback. A client already
    // gone by then is reported at once. The native side calls back exactly
    // once, so the handle is freed there.
    private unsafe void WatchForDisconnect()
    {
        var handle = GCHandle.Alloc(this);
        if (!_native.OnDisconnect(&OnDisconnect, GCHandle.ToIntPtr(handle)))
            handle.Free();
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnDisconnect(nint ctx, int clientGone)
    {
        try
        {
            var handle = GCHandle.FromIntPtr(ctx);
            var context = (RequestContext)handle.Target!;
            handle.Free();
            if (clientGone != 0)
                context.OnClientGone();
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "Disconnect callback failed: " + e);
        }
    }

    /// <summary>
    /// Ends the application's part: the response is completed (or, for a
    /// failure after the response started, aborted so the client sees it cut short).
    /// </summary>
    protected async Task EndResponseAsync(Exception? applicationError)
    {
        try
        {
            // The app ended the response itself (CompleteAsync): nothing left to do.
            if (ResponsePhases.HasEnded(_phase))
                return;
            if (_upgradedStream is not null)
            {
                // complete() ends the request; the stream lives on until closed.
                CompleteNative();
                return;
            }
            if (applicationError is not null)
            {
                if (HasStarted)
                {
                    await CutShortAsync().ConfigureAwait(false);
                    return;
                }
                PrepareErrorResponse(applicationError);
            }
            await CompleteResponseAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _server.LogError(e, "Ending the response failed");
            _native.Abort();
        }
    }

    private void ReleaseResources()
    {
        _writer.Dispose();
        _bodyReader?.Dispose();
        _bodyWriter.ReleaseBuffer();
        // An upgraded stream the app left open would leak the connection.
        _upgradedStream?.Dispose();
    }
}

internal sealed class RequestContext<TContext> : RequestContext where TContext : notnull
{
    public RequestContext(ServerCore<TContext> server, NativeRequest native)
        : base(server, native)
    {
    }

    protected override async Task RunApplicationAsync()
    {
        var application = ((ServerCore<TContext>)Server).Application;
        var context = application.CreateContext(this);
        Exception? error = null;
        try
        {
            await application.ProcessRequestAsync(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
            ReportApplicationError(e);
        }

        await EndResponseAsync(error).ConfigureAwait(false);
        await FireOnCompletedAsync().ConfigureAwait(false);
        application.DisposeContext(context, error);
    }
}
