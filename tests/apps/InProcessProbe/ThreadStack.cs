using System.Runtime.InteropServices;

// The real stack of the calling thread, from glibc: what pthread_attr_setstacksize
// (the CLR thread) or DOTNET_DefaultStackSize (runtime-created threads) gave it.
static unsafe class ThreadStack
{
    // glibc's pthread_attr_t is 56 bytes on x86-64 and 64 on arm64.
    private const int AttrSize = 128;

    [DllImport("libc", EntryPoint = "pthread_self")]
    private static extern nuint PthreadSelf();

    [DllImport("libc", EntryPoint = "pthread_getattr_np")]
    private static extern int PthreadGetattrNp(nuint thread, byte* attr);

    [DllImport("libc", EntryPoint = "pthread_attr_getstack")]
    private static extern int PthreadAttrGetstack(byte* attr, out nint address, out nuint size);

    [DllImport("libc", EntryPoint = "pthread_attr_destroy")]
    private static extern int PthreadAttrDestroy(byte* attr);

    /// <summary>The current thread's stack size in bytes, or -1 if glibc cannot tell.</summary>
    public static long CurrentSize()
    {
        byte* attr = stackalloc byte[AttrSize];
        if (PthreadGetattrNp(PthreadSelf(), attr) != 0)
            return -1;
        try
        {
            return PthreadAttrGetstack(attr, out _, out var size) == 0 ? (long)size : -1;
        }
        finally
        {
            PthreadAttrDestroy(attr);
        }
    }
}
