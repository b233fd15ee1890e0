// How far a response has got, one phase at a time (as Kestrel's
// RequestProcessingStatus), and the one table of the moves between phases.
// Only the request's own flow moves the phase; the app's Abort() may come from
// any thread, so it stays a flag of its own (RequestContext.Lifetime.cs) and
// ends the native request without a phase change.
using System;

namespace Ancm.Host.Server;

internal enum ResponsePhase
{
    /// <summary>Status and headers may still change; OnStarting callbacks may be added.</summary>
    NotStarted,

    /// <summary>The OnStarting callbacks are running.</summary>
    Starting,

    /// <summary>An OnStarting callback threw: every start fails, the end answers 500.</summary>
    StartFailed,

    /// <summary>The head went to the native side (set_status/add_header); nothing sent yet.</summary>
    Started,

    /// <summary>A write, flush or upgrade made the native side send the head.</summary>
    HeadSent,

    /// <summary>A write failed (the client is gone): later writes are dropped.</summary>
    WriteFailed,

    /// <summary>complete() was called.</summary>
    Completed,

    /// <summary>abort() after what was written: the client sees the response cut short.</summary>
    CutShort,
}

internal static class ResponsePhases
{
    /// <summary>The legal moves; anything else is a bug in the server.</summary>
    public static bool IsLegal(ResponsePhase from, ResponsePhase to) => (from, to) switch
    {
        (ResponsePhase.NotStarted, ResponsePhase.Starting) => true,
        // The server's own 500 replaces a head the native side would refuse.
        (ResponsePhase.NotStarted, ResponsePhase.Started) => true,
        // The head failed validation: nothing was committed, the app may fix it.
        (ResponsePhase.Starting, ResponsePhase.NotStarted) => true,
        (ResponsePhase.Starting, ResponsePhase.StartFailed) => true,
        (ResponsePhase.Starting, ResponsePhase.Started) => true,
        // The server's own 500 replaces the response the callback failed.
        (ResponsePhase.StartFailed, ResponsePhase.Started) => true,
        (ResponsePhase.Started, ResponsePhase.HeadSent) => true,
        // Nothing written: the native side frames the head with a Content-Length.
        (ResponsePhase.Started, ResponsePhase.Completed) => true,
        (ResponsePhase.Started, ResponsePhase.CutShort) => true,
        (ResponsePhase.HeadSent, ResponsePhase.WriteFailed) => true,
        (ResponsePhase.HeadSent, ResponsePhase.Completed) => true,
        (ResponsePhase.HeadSent, ResponsePhase.CutShort) => true,
        (ResponsePhase.WriteFailed, ResponsePhase.Completed) => true,
        (ResponsePhase.WriteFailed, ResponsePhase.CutShort) => true,
        _ => false,
    };

    public static void ThrowIfIllegal(ResponsePhase from, ResponsePhase to)
    {
        if (!IsLegal(from, to))
            throw new InvalidOperationException($"Illegal response phase transition from {from} to {to}.");
    }

    /// <summary>HttpResponse.HasStarted: the head is committed.</summary>
    public static bool HasStarted(ResponsePhase phase) =>
        phase is not (ResponsePhase.NotStarted or ResponsePhase.Starting or ResponsePhase.StartFailed);

    /// <summary>complete() or abort() ended it.</summary>
    public static bool HasEnded(ResponsePhase phase) =>
        phase is ResponsePhase.Completed or ResponsePhase.CutShort;
}
