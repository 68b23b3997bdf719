using MLNetCnn.Data;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Explanation;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017) in TorchSharp: the chosen layer's activation maps, each weighted by the mean gradient
/// of the explained class's logit with respect to it, summed, passed through ReLU, resized bilinearly to the network's
/// input size and scaled so that each image's hottest pixel is 1. Rows are <c>H x W</c> heatmaps, row-major.
/// </summary>
internal sealed class GradCamRunner : IBatchComputation
{
    private readonly object gate = new();
    private readonly CnnModel model;
    private readonly CnnPreprocessing preprocessing;
    private readonly nn.Module<Tensor, Tensor> layer;
    private readonly int? targetClass;
    private readonly PixelNormalization.Normalizer normalizer;

    /// <param name="model">The classifier's network.</param>
    /// <param name="preprocessing">Its preprocessing.</param>
    /// <param name="layer">The layer whose maps are weighed, as <see cref="ExplanationLayer.Find"/> resolved it.</param>
    /// <param name="targetClass">The class explained in every row; null for each row's predicted class.</param>
    public GradCamRunner(CnnModel model, CnnPreprocessing preprocessing, (string Name, nn.Module<Tensor, Tensor> Module) layer, int? targetClass)
    {
        this.model = model;
        this.preprocessing = preprocessing;
        this.targetClass = targetClass;
        (LayerName, this.layer) = layer;
        normalizer = preprocessing.Normalization.On(model.parameters().First().device);
    }

    /// <summary>The layer the heatmaps come from.</summary>
    public string LayerName { get; }

    /// <summary>Values per row: one per input pixel.</summary>
    public int ValuesPerRow => preprocessing.Height * preprocessing.Width;

    public void BeginScoring()
    {
    }

    public float[] Run(PixelBuffer batch)
    {
        lock (gate)  // one forward and backward at a time: prediction engines on several threads share this model
        {
            using var scope = NewDisposeScope();
            using var gradients = enable_grad();
            model.eval();
            Tensor? maps = null;
            // The zoo's forwards free intermediate tensors (in dispose scopes of their own, and Sequential frees each child's
            // output once the next child has used it), so the maps are an alias of the layer's output kept out of every scope,
            // and the rest of the network computes from an alias of that alias, which the containers may free.
            var logits = LayerTap.While(layer, output =>
            {
                maps = output.alias().DetachFromDisposeScope();
                return maps.alias();
            }, () => model.call(normalizer.Apply(batch.ToTensor())));
            try
            {
                return HeatmapsOf(logits, maps!);
            }
            finally
            {
                maps?.Dispose();   // outside every dispose scope: freed here
            }
        }
    }

    /// <summary>Grad-CAM from the logits and the layer's maps (tensors of the caller's dispose scope).</summary>
    private float[] HeatmapsOf(Tensor logits, Tensor maps)
    {
        var classes = targetClass is int c ? full([logits.shape[0]], c, ScalarType.Int64, logits.device) : logits.argmax(1);
        var explained = logits.gather(1, classes.unsqueeze(1)).sum();
        var slopes = autograd.grad([explained], [maps])[0];
        var weights = slopes.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu((weights * maps).sum(1, keepdim: true));
        var resized = nn.functional.interpolate(cam, [preprocessing.Height, preprocessing.Width], mode: InterpolationMode.Bilinear, align_corners: false);
        var peak = resized.amax([1, 2, 3], keepdim: true).clamp_min(1e-12);
        return (resized / peak).detach().cpu().data<float>().ToArray();
    }

    public void Dispose()
    {
    }
}
