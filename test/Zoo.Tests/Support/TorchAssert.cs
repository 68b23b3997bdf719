using FluentAssertions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Support;

/// <summary>Tensor comparisons with readable failures.</summary>
public static class TorchAssert
{
    /// <summary>Largest |actual - expected| relative to the largest |expected|.</summary>
    public static double RelativeDifference(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        actual.shape.Should().Equal(expected.shape);
        var scale = Math.Max(expected.abs().max().item<float>(), 1e-12f);
        return (actual - expected).abs().max().item<float>() / scale;
    }

    /// <summary>Asserts the tensors are equal within <paramref name="tolerance"/> relative difference.</summary>
    public static void Close(Tensor actual, Tensor expected, double tolerance, string because = "")
        => RelativeDifference(actual, expected).Should().BeLessThan(tolerance, because);
}
