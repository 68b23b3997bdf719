using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Test-time augmentation: the views of each image a classifier scores, whose outputs are averaged. The views are the image,
/// with <see cref="CropSize"/> its five crops (four corners and centre, as torchvision's <c>FiveCrop</c>) each resized back to the
/// input size (bilinear, half-pixel centres), and with <see cref="Flip"/> all of these mirrored left to right as well: both
/// together are AlexNet's ten-crop evaluation plus the whole image and its mirror.
/// </summary>
/// <param name="Flip">Also score every view mirrored left to right.</param>
/// <param name="CropSize">Side of the five square crops, in input pixels (smaller than the input); null for none.</param>
public sealed record TestTimeAugmentation(bool Flip = false, int? CropSize = null)
{
    /// <summary>No augmentation: one view, the image.</summary>
    public static TestTimeAugmentation None { get; } = new();

    /// <summary>Whether there is more than the one plain view.</summary>
    public bool IsActive => Flip || CropSize is not null;

    /// <summary>Views per image: 1 or 6 (whole image and five crops), times 2 with <see cref="Flip"/>.</summary>
    public int ViewCount => (CropSize is null ? 1 : 6) * (Flip ? 2 : 1);

    /// <summary>Why the crops do not fit a <paramref name="height"/> x <paramref name="width"/> input, or null when they do.</summary>
    public string? Problem(int height, int width) => CropSize is int side && (side < 1 || side >= Math.Min(height, width))
        ? $"test-time crops of {side}x{side} do not fit {height}x{width} inputs: give a crop size from 1 to {Math.Min(height, width) - 1}"
        : null;

    /// <summary>Top-left corners of the five crops: the four corners, then the centre (rounded as torchvision's centre crop).</summary>
    internal IReadOnlyList<(long Top, long Left)> CropOrigins(long height, long width)
    {
        var side = CropSize ?? throw new InvalidOperationException("No crops.");
        var (bottom, right) = (height - side, width - side);
        return [(0, 0), (0, right), (bottom, 0), (bottom, right),
            ((long)Math.Round(bottom / 2.0, MidpointRounding.ToEven), (long)Math.Round(right / 2.0, MidpointRounding.ToEven))];
    }

    /// <summary>The batch's views, view after view: <c>[V * N, C, H, W]</c> from <c>[N, C, H, W]</c>.</summary>
    public Tensor Views(Tensor batch)
    {
        var views = batch;
        if (CropSize is int side)
        {
            var (height, width) = (batch.shape[2], batch.shape[3]);
            var crops = cat(CropOrigins(height, width).Select(o => batch[.., .., (int)o.Top..(int)(o.Top + side), (int)o.Left..(int)(o.Left + side)]).ToList(), 0);
            views = cat([batch, nn.functional.interpolate(crops, [height, width], mode: InterpolationMode.Bilinear, align_corners: false)], 0);
        }
        return Flip ? cat([views, views.flip(3)], 0) : views;
    }

    /// <summary>The mean over the views of per-view outputs <c>[V * N, K]</c> (as <see cref="Views"/> orders them): <c>[N, K]</c>.</summary>
    public Tensor Average(Tensor outputs) => outputs.reshape(ViewCount, -1, outputs.shape[1]).mean([0]);

    /// <summary>The views in an ONNX graph, as <see cref="Views"/> makes them; <paramref name="x"/> is <c>[N, C, H, W]</c>.</summary>
    internal string ExportViews(OnnxGraph graph, string x, long height, long width)
    {
        var views = x;
        if (CropSize is int side)
        {
            var crops = CropOrigins(height, width).Select(o => graph.Node("Slice",
                [x, graph.Int64s("starts", o.Top, o.Left), graph.Int64s("ends", o.Top + side, o.Left + side), graph.Int64s("axes", 2, 3)])).ToList();
            var stacked = graph.Node("Concat", crops, attributes: OnnxGraph.Int("axis", 0));
            // Resize to [5N, C, H, W] by sizes (scales could round H * side / side down): the batch and channels from the crops' shape.
            var sizes = graph.Node("Concat", [graph.Node("Slice", [graph.Node("Shape", [stacked]), graph.Int64s("starts", 0), graph.Int64s("ends", 2)]),
                graph.Int64s("size", height, width)], attributes: OnnxGraph.Int("axis", 0));
            var resized = graph.Node("Resize", [stacked, "", "", sizes],
                attributes: [OnnxGraph.Text("mode", "linear"), OnnxGraph.Text("coordinate_transformation_mode", "half_pixel")]);
            views = graph.Node("Concat", [x, resized], attributes: OnnxGraph.Int("axis", 0));
        }
        return Flip
            ? graph.Node("Concat", [views, graph.Node("Slice", [views, graph.Int64s("starts", -1), graph.Int64s("ends", long.MinValue), graph.Int64s("axes", 3),
                graph.Int64s("steps", -1)])], attributes: OnnxGraph.Int("axis", 0))
            : views;
    }

    /// <summary>The mean over the views in an ONNX graph, as <see cref="Average"/>: <c>[V * N, K]</c> to <c>[N, K]</c>.</summary>
    internal string ExportAverage(OnnxGraph graph, string outputs, long width) =>
        graph.Node("ReduceMean", [graph.Node("Reshape", [outputs, graph.Int64s("views", ViewCount, -1, width)])],
            attributes: [OnnxGraph.Ints("axes", [0]), OnnxGraph.Int("keepdims", 0)]);
}
