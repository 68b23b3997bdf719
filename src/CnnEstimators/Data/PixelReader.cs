using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNetCnn.Internal;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MLNetCnn.Data;

/// <summary>
/// Reads the image column of the current row of a cursor into a network-sized CHW buffer: bytes for images, floats for
/// vectors. Images are resized and made grey by ML.NET's own operations (<c>ResizeImages</c> in Fill mode, SkiaSharp's
/// nearest-neighbour sampling, then <c>ConvertToGrayscale</c>), the steps of the chain a model saves as, so training, both
/// inference engines and the saved model see the same pixels. Vectors of another shape are converted (grey to colour by
/// repetition, colour to grey by ITU-R 601 luma) and resized by bilinear interpolation (antialiased when shrinking).
/// </summary>
internal sealed class PixelReader
{
    private readonly CnnPreprocessing preprocessing;
    private readonly string columnName;
    private readonly ValueGetter<MLImage>? imageGetter;
    private readonly ValueGetter<VBuffer<float>>? vectorGetter;
    private VBuffer<float> vector;

    public PixelReader(DataViewRow row, DataViewSchema.Column column, CnnPreprocessing preprocessing)
    {
        this.preprocessing = preprocessing;
        columnName = column.Name;
        if (preprocessing.InputKind == CnnInputKind.Image)
            imageGetter = row.GetGetter<MLImage>(column);
        else
            vectorGetter = row.GetGetter<VBuffer<float>>(column);
    }

    /// <summary>Reads the current row's image as bytes (image columns).</summary>
    /// <exception cref="InvalidDataException">The image could not be read (missing or corrupt file).</exception>
    public void ReadBytes(long row, Span<byte> destination)
    {
        // A fresh variable each row: ML.NET's image getters dispose the value they are handed, which would be
        // the previous row's image (the caller's own object when it came from LoadFromEnumerable).
        MLImage image = null!;
        try
        {
            imageGetter!(ref image);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException($"Row {row}: the image of column '{columnName}' could not be read: {e.Message}", e);
        }
        if (image is null || image.Width == 0 || image.Height == 0)
            throw new InvalidDataException($"Row {row}: column '{columnName}' holds no image (empty path or unreadable file).");
        var (height, width) = (image.Height, image.Width);
        CnnImageLimits.Check(width, height, $"Row {row}: the image of column '{columnName}'");
        Convert(image, preprocessing, destination);
    }

    /// <summary>An image as the network's input bytes: resized and made grey by the saved chain's steps, then planar.</summary>
    public static void Convert(MLImage image, CnnPreprocessing preprocessing, Span<byte> destination)
    {
        var (height, width) = (image.Height, image.Width);
        if (preprocessing.Channels == 3 && height == preprocessing.Height && width == preprocessing.Width)
        {
            ToPlanarRgb(image, destination);  // straight into the batch: no copy per row
            return;
        }
        // The saved chain's steps, in its order: resize, then grey; then the red plane of a grey image, as ExtractPixels takes it.
        var resized = height == preprocessing.Height && width == preprocessing.Width
            ? image
            : MLNetInternals.ImageOf(MLNetInternals.ResizeFill(image, preprocessing.Width, preprocessing.Height));
        var converted = preprocessing.Channels == 1 ? MLNetInternals.Grayscale(resized) : resized;
        try
        {
            if (preprocessing.Channels == 3)
                ToPlanarRgb(converted, destination);
            else
                ToPlane(converted, destination);
        }
        finally
        {
            if (converted != image) converted.Dispose();
            if (resized != image && resized != converted) resized.Dispose();
        }
    }

    /// <summary>Reads the current row's vector as floats (vector columns).</summary>
    /// <exception cref="InvalidDataException">The vector has the wrong length or holds NaN or infinity.</exception>
    public void ReadFloats(long row, Span<float> destination)
    {
        vectorGetter!(ref vector);
        var (c, h, w) = preprocessing.VectorShape!.Value;
        if (vector.Length != c * h * w)
            throw new InvalidDataException(
                $"Row {row}: column '{columnName}' has {vector.Length} values; expected {c}*{h}*{w} = {c * h * w}. Set the vector shape in the options to match the data.");
        ReadOnlySpan<float> values = vector.IsDense ? vector.GetValues() : vector.DenseValues().ToArray();
        // One vectorised pass per row (NaN and infinity both surface in the largest magnitude); the index is looked for only on failure.
        if (values.Length > 0 && !float.IsFinite(TensorPrimitives.MaxMagnitude(values)))
        {
            var i = 0;
            while (float.IsFinite(values[i])) i++;
            throw new InvalidDataException(
                $"Row {row}: column '{columnName}' holds {values[i]} at index {i}. Replace missing or infinite pixels before training.");
        }
        Convert(values, preprocessing, destination, $"Column '{columnName}'");
    }

    /// <summary>
    /// A vector of the preprocessing's vector shape as the network's input floats: channels converted, then resized.
    /// </summary>
    /// <param name="values">C x H x W floats, planar, in the vector shape.</param>
    /// <param name="preprocessing">The preprocessing.</param>
    /// <param name="destination">The network's input row.</param>
    /// <param name="source">What the values are, for messages.</param>
    public static void Convert(ReadOnlySpan<float> values, CnnPreprocessing preprocessing, Span<float> destination, string source)
    {
        var (c, h, w) = preprocessing.VectorShape!.Value;
        if (c == preprocessing.Channels && h == preprocessing.Height && w == preprocessing.Width)
        {
            values.CopyTo(destination);
            return;
        }
        using var scope = NewDisposeScope();
        Fit(tensor(values.ToArray(), [c, h, w]), preprocessing, source).data<float>().CopyTo(destination);
    }

    // Channel conversion, then resizing, of one C x H x W float image.
    private static Tensor Fit(Tensor chw, CnnPreprocessing preprocessing, string source)
    {
        var target = preprocessing.Channels;
        if (chw.shape[0] != target)
        {
            chw = (chw.shape[0], target) switch
            {
                (1, _) => chw.expand(target, -1, -1),
                (3, 1) => (0.299f * chw[0] + 0.587f * chw[1] + 0.114f * chw[2]).unsqueeze(0),
                _ => throw new InvalidDataException($"{source}: cannot convert {chw.shape[0]} channels to {target}."),
            };
        }
        if (chw.shape[1] == preprocessing.Height && chw.shape[2] == preprocessing.Width)
            return chw.contiguous();
        var shrinking = chw.shape[1] > preprocessing.Height || chw.shape[2] > preprocessing.Width;
        return nn.functional.interpolate(chw.unsqueeze(0), [preprocessing.Height, preprocessing.Width],
            mode: InterpolationMode.Bilinear, align_corners: false, antialias: shrinking).squeeze(0);
    }

    // The red channel of a grey image (all three are equal), as ExtractPixels' Red reads it.
    private static void ToPlane(MLImage grey, Span<byte> plane)
    {
        var pixels = grey.Pixels;
        var stride = grey.BitsPerPixel / 8;
        var red = grey.PixelFormat == MLPixelFormat.Bgra32 ? 2 : 0;
        for (var i = 0; i < plane.Length; i++)
            plane[i] = pixels[i * stride + red];
    }

    // MLImage keeps 32-bit BGRA or RGBA pixels; the network wants planar RGB.
    private static void ToPlanarRgb(MLImage image, Span<byte> planar)
    {
        var pixels = image.Pixels;
        var area = image.Width * image.Height;
        var stride = image.BitsPerPixel / 8;
        var (r, b) = image.PixelFormat == MLPixelFormat.Bgra32 ? (2, 0) : (0, 2);
        for (var i = 0; i < area; i++)
        {
            var p = i * stride;
            planar[i] = pixels[p + r];
            planar[area + i] = pixels[p + 1];
            planar[2 * area + i] = pixels[p + b];
        }
    }

    /// <summary>Whether a column can be read as <paramref name="kind"/>.</summary>
    public static bool Accepts(DataViewType type, CnnInputKind kind) => kind == CnnInputKind.Image
        ? type is ImageDataViewType
        : type is VectorDataViewType { ItemType: NumberDataViewType n } && n.RawType == typeof(float);
}
