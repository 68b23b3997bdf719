using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>The network in TorchSharp, in eval mode without gradients, on the model's device.</summary>
internal class TorchSharpRunner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation? testTime = null)
    : NetworkRunner(model, preprocessing)
{
    private readonly object gate = new();
    private readonly PixelNormalization.Normalizer normalizer = preprocessing.Normalization.On(model.parameters().First().device);
    private readonly bool channelsLast = ComputeFormat.ScoresChannelsLast(model, model.parameters().First().device_type);

    public override float[] Run(PixelBuffer batch)
    {
        // One forward at a time: prediction engines on several threads share this model.
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Model.eval();
            return Forward(ComputeFormat.Layout(normalizer.Apply(batch.ToTensor()), channelsLast)).cpu().data<float>().ToArray();
        }
    }

    /// <summary>Network input to the values of each row (<c>N x width</c>).</summary>
    protected virtual Tensor Forward(Tensor input)
        => output == NetworkOutput.Features ? Model.ForwardFeatures(input)
            : testTime is { IsActive: true } views ? views.Average(nn.functional.softmax(Model.call(views.Views(input)), 1))
            : nn.functional.softmax(Model.call(input), 1);
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
