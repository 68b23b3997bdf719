namespace MLNetCnn.Zoo;

/// <summary>
/// Where pretrained weights come from and where they are kept: settings the weights' descriptions, the cache and the
/// registry share, held here below all of them (<see cref="CnnZoo.WeightsBaseUrl"/> and <see cref="CnnZoo.CacheFolder"/> expose them).
/// </summary>
internal static class WeightsLocation
{
    private static readonly object Gate = new();

    private static Uri baseUrl = WithTrailingSlash(new Uri(
        Environment.GetEnvironmentVariable("MLNETCNN_WEIGHTS_URL") is { Length: > 0 } mirror ? mirror : "https://download.pytorch.org/models/"));

    /// <summary>The URL base weights files are fetched from: <c>MLNETCNN_WEIGHTS_URL</c> when set, else torchvision's.</summary>
    /// <exception cref="ArgumentException">The base set is not absolute.</exception>
    public static Uri BaseUrl
    {
        get { lock (Gate) return baseUrl; }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!value.IsAbsoluteUri)
                throw new ArgumentException($"The weights URL base must be absolute (got '{value}').", nameof(value));
            lock (Gate) baseUrl = WithTrailingSlash(value);
        }
    }

    /// <summary>
    /// MLNetCnn's cache folder: <c>MLNETCNN_HOME</c>, else <c>$XDG_CACHE_HOME/mlnetcnn</c>, else <c>~/.cache/mlnetcnn</c>.
    /// </summary>
    public static string CacheFolder => Environment.GetEnvironmentVariable("MLNETCNN_HOME") is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mlnetcnn");

    private static Uri WithTrailingSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
