using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// One affine transform per image of a batch, about the image centre, in one grid sample: rotation, shear, scale and translation as
/// torchvision's <c>affine</c> defines them; pixels that come from outside the image are black (zero).
/// </summary>
internal static class AffineWarp
{
    /// <summary>Warps each image <c>i</c> by its own parameters (arrays of length <c>N</c>).</summary>
    /// <param name="batch"><c>N x C x H x W</c> floats.</param>
    /// <param name="degrees">Counter-clockwise rotation in degrees.</param>
    /// <param name="translateX">Shift right, in pixels.</param>
    /// <param name="translateY">Shift down, in pixels.</param>
    /// <param name="scale">Zoom factor (above 1 enlarges).</param>
    /// <param name="shearX">Horizontal shear angle in degrees.</param>
    /// <param name="shearY">Vertical shear angle in degrees.</param>
    public static Tensor Apply(Tensor batch, double[] degrees, double[] translateX, double[] translateY, double[] scale, double[] shearX, double[] shearY)
    {
        var (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3]);
        var theta = new float[n * 6];
        for (var i = 0; i < n; i++)
        {
            // The forward map in pixels about the centre: p_out = T + S R Sh p_in. grid_sample needs the inverse, in coordinates
            // normalised to [-1, 1] per axis: theta = D^-1 M^-1 D with D = diag(W/2, H/2), and the shift -D^-1 M^-1 T.
            var (a, sx, sy) = (degrees[i] * Math.PI / 180, Math.Tan(shearX[i] * Math.PI / 180), Math.Tan(shearY[i] * Math.PI / 180));
            var (cos, sin) = (Math.Cos(a), Math.Sin(a));
            // Screen coordinates (y down): a counter-clockwise rotation is [cos, sin; -sin, cos]; shear [1, sx; sy, 1].
            double m00 = scale[i] * (cos + sin * sy), m01 = scale[i] * (cos * sx + sin), m10 = scale[i] * (-sin + cos * sy), m11 = scale[i] * (-sin * sx + cos);
            var det = m00 * m11 - m01 * m10;
            double i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det;
            var (hw, hh) = (w / 2.0, h / 2.0);
            theta[6 * i] = (float)i00;
            theta[6 * i + 1] = (float)(i01 * hh / hw);
            theta[6 * i + 2] = (float)(-(i00 * translateX[i] + i01 * translateY[i]) / hw);
            theta[6 * i + 3] = (float)(i10 * hw / hh);
            theta[6 * i + 4] = (float)i11;
            theta[6 * i + 5] = (float)(-(i10 * translateX[i] + i11 * translateY[i]) / hh);
        }
        using var matrices = tensor(theta, [n, 2, 3]).to(batch.device);
        using var grid = nn.functional.affine_grid(matrices, [n, batch.shape[1], h, w], align_corners: false);
        return nn.functional.grid_sample(batch, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Zeros, align_corners: false);
    }
}
