namespace MLNetCnn;

/// <summary>How image batches are laid out in memory when TorchSharp runs the network.</summary>
public enum CnnMemoryFormat
{
    /// <summary>
    /// Channels-last where it was measured faster (bench/ChannelsLast): on the CPU, validation always and training for the zoo's
    /// models except those with a large fully-connected head (AlexNet, VGG), and every bf16 run; contiguous on CUDA in float32 and for
    /// a model class of your own, which trains as it was written.
    /// </summary>
    Auto,

    /// <summary><c>N x C x H x W</c> contiguous, as the network was written.</summary>
    Contiguous,

    /// <summary>
    /// <c>N x C x H x W</c> in shape with <c>N x H x W x C</c> strides (PyTorch's <c>channels_last</c>), which oneDNN's convolutions
    /// run faster. The values are the same; a model of your own must then use <c>reshape</c> or <c>flatten</c> rather than <c>view</c>.
    /// </summary>
    ChannelsLast,
}
