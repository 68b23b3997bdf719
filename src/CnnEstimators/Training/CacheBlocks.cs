using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// Cuts tensors of one shape into the same cache-sized runs of elements, for optimiser steps that make all their passes
/// over one run before moving on: the fused optimisers' path where libtorch's kernels do not apply (<see cref="Fused.AdamW"/>).
/// </summary>
internal static class CacheBlocks
{
    /// <summary>
    /// Elements a block holds: 256K floats are 1 MB a tensor, so a step's four or five tensors stay in the shared cache
    /// (bench/OptimizerStep: 4K and 16K blocks spend the step on dispatch, 1M and whole tensors on memory; 128K to 512K were best).
    /// </summary>
    public const long Elements = 1 << 18;

    /// <summary>
    /// The same block of each tensor, block by block, as flat views; the tensors themselves, once, when one of them is not
    /// contiguous (a view cannot flatten it), they are small enough to be one block, or they are not in main memory (a GPU
    /// has no such cache to fit, and every block would be a kernel launch). Each block's views are disposed when
    /// the next is asked for.
    /// </summary>
    public static IEnumerable<Tensor[]> Of(params Tensor[] tensors)
    {
        var count = tensors[0].numel();
        if (count <= Elements || tensors[0].device_type != TorchSharp.DeviceType.CPU || !tensors.All(t => t.is_contiguous()))
        {
            yield return tensors;
            yield break;
        }
        var flat = tensors.Select(t => t.view(-1)).ToArray();
        try
        {
            for (long start = 0; start < count; start += Elements)
            {
                var length = Math.Min(Elements, count - start);
                var block = flat.Select(t => t.narrow(0, start, length)).ToArray();
                try
                {
                    yield return block;
                }
                finally
                {
                    foreach (var view in block)
                        view.Dispose();
                }
            }
        }
        finally
        {
            foreach (var view in flat)
                view.Dispose();
        }
    }
}
