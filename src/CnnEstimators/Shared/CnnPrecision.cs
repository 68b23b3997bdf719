namespace MLNetCnn;

/// <summary>The number format of a training run's forward and backward passes.</summary>
public enum CnnPrecision
{
    /// <summary>
    /// <see cref="BFloat16"/> on CPUs with bf16 units (AVX512_BF16 or AMX), <see cref="Float32"/> elsewhere (CUDA included, for now);
    /// the training log says which it chose and why.
    /// </summary>
    Auto,

    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>
    /// Mixed precision: convolutions and fully-connected layers compute in bfloat16 on a copy of the network, while the master
    /// weights, optimiser state, batch-norm parameters and statistics, the loss and the moving average stay float32; checkpoints,
    /// ONNX export, validation and saved models are float32 as with <see cref="Float32"/>. Refused on a CPU without bf16 units,
    /// where libtorch would emulate bf16 and train several times slower than float32.
    /// </summary>
    BFloat16,
}
