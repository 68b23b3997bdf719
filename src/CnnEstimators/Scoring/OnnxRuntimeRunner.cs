using Microsoft.ML.OnnxRuntime;
using MLNetCnn.Data;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>
/// The network exported to ONNX (preprocessing and softmax inside the graph) in one ONNX Runtime session on the CPU.
/// On CPU this beats TorchSharp's eager forward: ONNX Runtime folds batch norm into the convolutions and fuses
/// activations. Its threads do not spin-wait between runs, which on few cores would steal time from the cursor.
/// </summary>
/// <remarks>
/// With an int8 graph (<see cref="CnnClassifierTransformer.Quantize"/>) the session runs that graph, fixed: further training of the
/// float model does not reach it. Otherwise the session holds a copy of the weights. <see cref="BeginScoring"/> (each cursor and prediction engine) compares a
/// fingerprint of the network's weights with the exported one and re-exports when they changed, so further training
/// of the model is seen by the next cursor, as with TorchSharp.
/// </remarks>
internal sealed class OnnxRuntimeRunner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation? testTime = null,
    byte[]? quantizedGraph = null)
    : NetworkRunner(model, preprocessing)
{
    /// <summary>The input of the runner's graph: a batch of raw pixels, <c>N x C x H x W</c> floats.</summary>
    public const string InputName = "input";

    /// <summary>The output of the runner's graph: <c>N x width</c> probabilities or features.</summary>
    public const string OutputName = "output";
    private readonly object gate = new();
    private readonly RunOptions runOptions = new();
    private InferenceSession? session;
    private float[] inputBuffer = [];   // reused for byte batches: no per-batch allocation of the input
    private float[] exportedFingerprint = [];

    public override void BeginScoring()
    {
        lock (gate)
        {
            if (quantizedGraph is not null)
            {
                session ??= CreateSession(quantizedGraph);
                return;
            }
            var fingerprint = Fingerprint();
            if (session is not null && fingerprint.AsSpan().SequenceEqual(exportedFingerprint))
                return;
            session?.Dispose();
            session = CreateSession(Graph(Model, Preprocessing, output, testTime ?? TestTimeAugmentation.None));
            exportedFingerprint = fingerprint;
        }
    }

    public override float[] Run(PixelBuffer batch)
    {
        if (session is null)
            BeginScoring();
        // One run at a time, so a re-export from another thread's BeginScoring never disposes a session in use.
        lock (gate)
        {
            // The graph takes floats (the scaling is inside it): a float batch is handed over as it is, bytes are widened once.
            var input = batch.AsFloats(ref inputBuffer);
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, batch.Shape);
            using var outputs = session!.Run(runOptions, [InputName], [value], [OutputName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }

    /// <summary>The float graph the runner scores with: raw pixels in (<see cref="InputName"/>), probabilities or features out (<see cref="OutputName"/>).</summary>
    public static byte[] Graph(CnnModel model, CnnPreprocessing p, NetworkOutput output, TestTimeAugmentation testTime) =>
        model.ToOnnx(p.Channels, p.Height, p.Width, new OnnxExportOptions
        {
            InputName = InputName,
            OutputName = OutputName,
            Features = output == NetworkOutput.Features,
            Softmax = output == NetworkOutput.Probabilities,
            Normalization = p.Normalization,
            TestTimeAugmentation = testTime,
        });

    private static InferenceSession CreateSession(byte[] onnx)
    {
        using var options = new SessionOptions
        {
            // The same thread count as TorchSharp (CnnTrainerOptions.Threads sets both).
            IntraOpNumThreads = get_num_threads(),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(onnx, options);
    }

    /// <summary>
    /// The sum of every weight and buffer: training or loading changes it. One float32 pass over the weights
    /// (a few milliseconds for ResNet-18), cheap enough for every cursor.
    /// </summary>
    private float[] Fingerprint()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return stack(Model.state_dict().Values.Where(t => t.is_floating_point()).Select(t => t.sum().to_type(ScalarType.Float32)).ToArray())
            .cpu().data<float>().ToArray();
    }

    public override void Dispose()
    {
        session?.Dispose();
        runOptions.Dispose();
    }
}
