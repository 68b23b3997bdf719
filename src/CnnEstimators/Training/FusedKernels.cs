using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNetCnn.Training.Fused;

/// <summary>
/// libtorch's fused CPU optimiser kernels (<c>_fused_adamw_</c>, <c>_fused_sgd_</c>: what PyTorch runs for
/// <c>fused=True</c>), which TorchSharp's native wrapper does not export. They are reached through libtorch's own exported
/// C++ entry points, <c>at::_ops::…::call</c>, by their mangled names: one pass over each tensor instead of one per
/// arithmetic operation. Only the calls whose preconditions hold here are made (CPU, float32, contiguous, shapes equal: a C++
/// exception cannot cross into .NET), and when this libtorch lacks the entry points the optimisers fall back to
/// <see cref="CacheBlocks"/>. The layouts relied on: a TorchSharp tensor handle points at an <c>at::Tensor</c>, which is one
/// <c>TensorImpl*</c>; <c>c10::ArrayRef</c> is a pointer and a length; an empty <c>std::optional&lt;at::Tensor&gt;</c> is
/// zeroed memory. CacheBlockedOptimizerTests checks every step against TorchSharp's own optimisers.
/// </summary>
internal static unsafe class FusedKernels
{
    private const string Library = "libtorch_cpu.so";
    private const string AdamWEntry = "_ZN2at4_ops13_fused_adamw_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_";
    private const string SgdEntry = "_ZN2at4_ops11_fused_sgd_4callEN3c108ArrayRefINS_6TensorEEES5_S5_ddddbbbRKSt8optionalIS4_ES9_";

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TensorList(IntPtr data, nuint length)
    {
        public readonly IntPtr Data = data;
        public readonly nuint Length = length;
    }

    // An empty std::optional<at::Tensor>: zeroed bytes (the tensor's pointer, then the engaged flag: 16; 32 leave room to spare).
    // Allocated once for the process and never freed, as the kernels may be called until it ends.
    private static readonly IntPtr NoTensor = (IntPtr)NativeMemory.AllocZeroed(32);

    private static readonly Lazy<(IntPtr AdamW, IntPtr Sgd)> Entries = new(Resolve);

    private static (IntPtr, IntPtr) Resolve()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Library, typeof(Tensor).Assembly, null, out var library))
            return (IntPtr.Zero, IntPtr.Zero);
        NativeLibrary.TryGetExport(library, AdamWEntry, out var adamW);
        NativeLibrary.TryGetExport(library, SgdEntry, out var sgd);
        return (adamW, sgd);
    }

    /// <summary>Whether the fused kernels can take these tensors (one parameter's weights, gradient and state).</summary>
    public static bool Accepts(params Tensor[] tensors) =>
        tensors.All(t => t.device_type == TorchSharp.DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous() && !t.is_sparse)
        && tensors.All(t => t.shape.SequenceEqual(tensors[0].shape));

    /// <summary>Whether this libtorch exports the fused AdamW kernel.</summary>
    public static bool HasAdamW => Entries.Value.AdamW != IntPtr.Zero;

    /// <summary>Whether this libtorch exports the fused SGD kernel.</summary>
    public static bool HasSgd => Entries.Value.Sgd != IntPtr.Zero;

    /// <summary>
    /// One AdamW step over the parameters, in place. <paramref name="steps"/> holds each parameter's step count, this step
    /// included, as a float32 scalar on the CPU (the kernel's bias corrections read it).
    /// </summary>
    public static void AdamW(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> gradients, IReadOnlyList<Tensor> averages,
        IReadOnlyList<Tensor> averageSquares, IReadOnlyList<Tensor> steps, double rate, double beta1, double beta2, double weightDecay, double eps)
    {
        var call = (delegate* unmanaged<TensorList, TensorList, TensorList, TensorList, TensorList, TensorList, double, double, double, double, double, byte, byte, IntPtr, IntPtr, void>)Entries.Value.AdamW;
        var lists = new[] { weights, gradients, averages, averageSquares, steps };
        var impls = lists.Select(Impls).ToArray();
        fixed (IntPtr* w = impls[0], g = impls[1], m = impls[2], v = impls[3], s = impls[4])
            call(new((IntPtr)w, (nuint)weights.Count), new((IntPtr)g, (nuint)weights.Count), new((IntPtr)m, (nuint)weights.Count),
                new((IntPtr)v, (nuint)weights.Count), new(IntPtr.Zero, 0), new((IntPtr)s, (nuint)weights.Count),
                rate, beta1, beta2, weightDecay, eps, 0, 0, NoTensor, NoTensor);
        GC.KeepAlive(lists);
    }

    /// <summary>
    /// One SGD step over the parameters, in place; with momentum, <paramref name="buffers"/> are their momentum buffers,
    /// which the first step sets to the (decayed) gradient.
    /// </summary>
    public static void Sgd(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> gradients, IReadOnlyList<Tensor> buffers,
        double weightDecay, double momentum, double rate, double dampening, bool nesterov, bool firstStep)
    {
        var call = (delegate* unmanaged<TensorList, TensorList, TensorList, double, double, double, double, byte, byte, byte, IntPtr, IntPtr, void>)Entries.Value.Sgd;
        var lists = new[] { weights, gradients, buffers };
        var impls = lists.Select(Impls).ToArray();
        fixed (IntPtr* w = impls[0], g = impls[1], b = impls[2])
            call(new((IntPtr)w, (nuint)weights.Count), new((IntPtr)g, (nuint)weights.Count), new((IntPtr)b, (nuint)buffers.Count),
                weightDecay, momentum, rate, dampening, nesterov ? (byte)1 : (byte)0, 0, firstStep ? (byte)1 : (byte)0, NoTensor, NoTensor);
        GC.KeepAlive(lists);
    }

    // The TensorImpl* each handle's at::Tensor holds: an array of them is an array of at::Tensor.
    private static IntPtr[] Impls(IReadOnlyList<Tensor> tensors) => tensors.Select(t => Marshal.ReadIntPtr(t.Handle)).ToArray();
}
