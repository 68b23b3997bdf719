using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetCnn.Internal;

/// <summary>
/// The two pieces of ML.NET that a third-party estimator needs but ML.NET keeps internal, reached with
/// <see cref="UnsafeAccessorAttribute"/> (compile-time bound, no reflection strings at run time).
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

    /// <summary>The environment behind a transforms catalog.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Microsoft.ML.Data.IInternalCatalog.get_Environment")]
    public static extern IHostEnvironment EnvironmentOf(TransformsCatalog catalog);
}
