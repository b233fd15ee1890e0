// Counts requests the server owns (from on_request until complete/abort and
// OnCompleted), so shutdown can wait for them to finish.
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Server;

internal sealed class RequestTracker
{
    private readonly object _gate = new();
    private int _count;
    private TaskCompletionSource? _idle;

    public int Count => Volatile.Read(ref _count);

    public void Enter() => Interlocked.Increment(ref _count);

    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) != 0)
            return;
        TaskCompletionSource? idle;
        lock (_gate)
        {
            if (Volatile.Read(ref _count) != 0)
                return;
            idle = _idle;
            _idle = null;
        }
        idle?.TrySetResult();
    }

    /// <summary>Completes when no request is in flight.</summary>
    public Task WhenIdle()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _count) == 0)
                return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }
}
