using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>Raw image batches to class probabilities, with the model's preprocessing, in eval mode without gradients.</summary>
internal sealed class BatchScorer
{
    private readonly object gate = new();
    private readonly CnnModel model;
    private readonly CnnPreprocessing preprocessing;
    private readonly Device device;
    private readonly Tensor mean;
    private readonly Tensor std;

    public BatchScorer(CnnModel model, CnnPreprocessing preprocessing, Device device)
    {
        this.model = model;
        this.preprocessing = preprocessing;
        this.device = device;
        mean = tensor(preprocessing.Mean.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
        std = tensor(preprocessing.Std.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
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
            var x = (rawImages.to(device).to_type(ScalarType.Float32) * preprocessing.PixelScale - mean) / std;
            return nn.functional.softmax(model.call(x), 1).cpu().data<float>().ToArray();
        }
    }
}
