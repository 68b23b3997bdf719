using MLNetCnn.Data;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>Raw image batches to class probabilities, with the model's preprocessing, in eval mode without gradients.</summary>
internal sealed class BatchScorer
{
    private readonly object gate = new();
    private readonly CnnModel model;
    private readonly PixelNormalizer normalizer;

    public BatchScorer(CnnModel model, CnnPreprocessing preprocessing, Device device)
    {
        this.model = model;
        normalizer = new PixelNormalizer(preprocessing, device);
    }

    /// <summary>Number of classes.</summary>
    public int Classes => model.NumClasses;

    /// <summary>Softmax probabilities, row-major <c>N x Classes</c>.</summary>
    public float[] Probabilities(Tensor rawImages)
    {
        // One forward at a time: prediction engines on several threads share this model.
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.eval();
            return nn.functional.softmax(model.call(normalizer.Apply(rawImages)), 1).cpu().data<float>().ToArray();
        }
    }
}
