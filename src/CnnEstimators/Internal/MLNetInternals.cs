using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using SkiaSharp;

namespace MLNetCnn.Internal;

/// <summary>
/// The pieces of ML.NET that a third-party estimator needs but ML.NET keeps internal, reached with
/// <see cref="UnsafeAccessorAttribute"/> (compile-time bound, no reflection strings at run time): building schema
/// columns, the catalogs' environment, and the image operations of <c>ResizeImages</c> (Fill) and
/// <c>ConvertToGrayscale</c>, so that training and scoring see exactly the pixels the saved ML.NET chain sees.
/// Checked against ML.NET 5.0.1 by the tests in <c>Internal/MLNetInternalsTests</c>.
/// </summary>
internal static class MLNetInternals
{
    /// <summary><c>SchemaShape.Column</c>'s constructor, which GetOutputSchema needs to describe new columns.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    public static extern SchemaShape.Column NewColumn(string name, SchemaShape.Column.VectorKind vectorKind, DataViewType itemType, bool isKey, SchemaShape? annotations);

    /// <summary>The environment behind a trainers catalog (the <see cref="MLContext"/> it belongs to).</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Microsoft.ML.Data.IInternalCatalog.get_Environment")]
    public static extern IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog);

    /// <summary>
    /// <c>ResizeImages</c>' Fill mode: the image stretched to <paramref name="width"/> x <paramref name="height"/> by
    /// SkiaSharp's nearest-neighbour sampling, as <c>MLImage</c> does it for ML.NET's resizing transform.
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ResizeFull")]
    public static extern SKBitmap ResizeFill(MLImage image, int width, int height);

    /// <summary><c>ConvertToGrayscale</c>'s conversion (SkiaSharp's colour matrix), as <c>MLImage</c> does it.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "CloneWithGrayscale")]
    public static extern MLImage Grayscale(MLImage image);

    /// <summary>An <c>MLImage</c> that takes ownership of a bitmap.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    public static extern MLImage ImageOf(SKBitmap bitmap);

    /// <summary>The environment behind a transforms catalog.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Microsoft.ML.Data.IInternalCatalog.get_Environment")]
    public static extern IHostEnvironment EnvironmentOf(TransformsCatalog catalog);
}
