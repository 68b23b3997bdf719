using MLNetCnn.Data;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>The network in TorchSharp, in eval mode without gradients, on the model's device.</summary>
internal sealed class TorchSharpRunner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output)
    : NetworkRunner(model, preprocessing, output)
{
    private readonly object gate = new();
    private readonly PixelNormalizer normalizer = new(preprocessing, model.parameters().First().device);

    public override float[] Run(PixelBatch batch)
    {
        // One forward at a time: prediction engines on several threads share this model.
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Model.eval();
            var x = normalizer.Apply(batch.ToTensor());
            var values = Output == NetworkOutput.Features ? Model.ForwardFeatures(x) : nn.functional.softmax(Model.call(x), 1);
            return values.cpu().data<float>().ToArray();
        }
    }
}
