using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>The network in TorchSharp, in eval mode without gradients, on the model's device.</summary>
internal class TorchSharpRunner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation? testTime = null)
    : NetworkRunner(model, preprocessing)
{
    private readonly PixelNormalization.Normalizer normalizer = preprocessing.Normalization.On(model.parameters().First().device);
    private readonly bool channelsLast = ComputeFormat.ScoresChannelsLast(model, model.parameters().First().device_type);

    /// <summary>Held for each forward: prediction engines on several threads share this model.</summary>
    protected object Gate { get; } = new();

    public override float[] Run(PixelBuffer batch)
    {
        lock (Gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Network.eval();   // the model itself, or its copy (which a load leaves in the model's modes)
            return Forward(ComputeFormat.Layout(normalizer.Apply(batch.ToTensor()).to(InputType), channelsLast)).cpu().data<float>().ToArray();
        }
    }

    /// <summary>The network that runs: the model itself, or a copy of it in another number format.</summary>
    protected virtual CnnModel Network => Model;

    /// <summary>The number format of the network's input.</summary>
    protected virtual ScalarType InputType => ScalarType.Float32;

    /// <summary>Network input to the values of each row (<c>N x width</c>), in float32.</summary>
    protected virtual Tensor Forward(Tensor input)
        => output == NetworkOutput.Features ? Network.ForwardFeatures(input).to(ScalarType.Float32)
            : testTime is { IsActive: true } views ? views.Average(nn.functional.softmax(Network.call(views.Views(input)).to(ScalarType.Float32), 1))
            : nn.functional.softmax(Network.call(input).to(ScalarType.Float32), 1);
}

/// <summary>
/// The network's bf16 copy in TorchSharp (<see cref="CnnInferenceEngine.TorchSharpBFloat16"/>), loaded with the model's current
/// weights whenever a cursor or prediction engine starts scoring, so that further training of the model is seen, as with the other engines.
/// </summary>
internal sealed class BFloat16Runner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation? testTime = null)
    : TorchSharpRunner(model, preprocessing, output, testTime)
{
    private readonly MixedPrecisionCopy copy = new(model, ScalarType.BFloat16);
    private CnnModel? loaded;

    protected override CnnModel Network => loaded ??= copy.Load();

    protected override ScalarType InputType => ScalarType.BFloat16;

    public override void BeginScoring()
    {
        lock (Gate)
            loaded = copy.Load();
    }

    public override void Dispose() => copy.Dispose();
}

/// <summary>A named layer's output, flattened, for the featurizer (TorchSharp only: ONNX graphs end at the pre-logits features).</summary>
internal sealed class LayerRunner : TorchSharpRunner
{
    private readonly nn.Module<Tensor, Tensor> layer;

    /// <exception cref="ArgumentException">The model has no module of that name; the message lists some that exist.</exception>
    public LayerRunner(CnnModel model, CnnPreprocessing preprocessing, string layerName) : base(model, preprocessing, NetworkOutput.Features)
    {
        layer = LayerTap.Named(model, layerName);
        Width = Run(PixelBuffer.Allocate(preprocessing, 1)).Length;   // one black image probes the layer's size
    }

    /// <summary>Values per row: the layer's output size.</summary>
    public int Width { get; }

    protected override Tensor Forward(Tensor input)
    {
        Tensor? captured = null;
        try
        {
            // The layer's output lives in the forward's own dispose scope: keep a copy outside it.
            LayerTap.While(layer, output => { captured = output.detach().clone().DetachFromDisposeScope(); return output; }, () => Model.call(input));
            return captured!.flatten(1);
        }
        finally
        {
            captured?.Dispose();
        }
    }
}
