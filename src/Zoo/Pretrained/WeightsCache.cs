using System.Security.Cryptography;

namespace MLNetCnn.Zoo;

/// <summary>
/// Fetches weights files into MLNetCnn's cache and hands back their path. A file is streamed to a temporary file beside its
/// place in the cache (unique to this fetch, so two processes fetching the same file never write the same temporary file),
/// its SHA-256 checked against the catalogue's prefix, and only then renamed into place; a cached file is checked the same
/// way before use, and a corrupt one is reported and fetched again. Offline (<c>MLNETCNN_OFFLINE=1</c>) a missing file fails
/// at once, saying where to put it.
/// </summary>
internal static class WeightsCache
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };   // a big file on a slow line must not time out; cancellation stops it

    /// <summary>Where weights go: <c>weights/</c> under <see cref="CnnZoo.CacheFolder"/>.</summary>
    public static string Folder => Path.Combine(WeightsLocation.CacheFolder, "weights");

    /// <summary>True when <c>MLNETCNN_OFFLINE</c> is 1 or true: nothing is downloaded.</summary>
    public static bool Offline => Environment.GetEnvironmentVariable("MLNETCNN_OFFLINE") is "1" or "true" or "TRUE";

    /// <summary>The checked file of <paramref name="weights"/> in the cache, downloaded when it is not there.</summary>
    /// <exception cref="IOException">The download failed (no network, an HTTP error, a truncated body) or the cache folder cannot be written;
    /// the message names the URL and the path where the file can be put by hand.</exception>
    /// <exception cref="InvalidDataException">The downloaded file's hash is not the catalogue's.</exception>
    public static async Task<string> FetchAsync(PretrainedWeights weights, IProgress<WeightsDownloadProgress>? progress, CancellationToken cancellation)
    {
        var url = weights.Url!;
        var path = Path.Combine(Folder, weights.FileName);
        if (File.Exists(path))
        {
            if (await HashMatchesAsync(path, weights.Sha256Prefix, cancellation))
            {
                progress?.Report(new WeightsDownloadProgress(weights, 0, null, $"{weights}: from the cache, {path}"));
                return path;
            }
            progress?.Report(new WeightsDownloadProgress(weights, 0, null,
                $"{weights}: the cached file {path} does not match its SHA-256 prefix {weights.Sha256Prefix} (corrupt or cut short); fetching it again"));
        }
        if (Offline)
            throw new IOException($"{weights} is not in the cache and MLNETCNN_OFFLINE is set. Download {url} and put it at {path}.");
        try
        {
            Directory.CreateDirectory(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot create the weights cache folder {Folder} ({e.Message}). Set MLNETCNN_HOME to a writable folder.", e);
        }
        var temporary = Path.Combine(Folder, $".{weights.FileName}.{Environment.ProcessId}-{Guid.NewGuid():N}.download");
        try
        {
            await DownloadAsync(weights, url, temporary, progress, cancellation);
            if (!await HashMatchesAsync(temporary, weights.Sha256Prefix, cancellation))
                throw new InvalidDataException(
                    $"The file downloaded from {url} does not match the SHA-256 prefix {weights.Sha256Prefix} of {weights}; nothing was cached. " +
                    "Try again, or download it by hand, check it and put it at " + path + ".");
            File.Move(temporary, path, overwrite: true);   // another process may have put the same checked file there first: same bytes
            progress?.Report(new WeightsDownloadProgress(weights, new FileInfo(path).Length, new FileInfo(path).Length, $"{weights}: saved to {path}"));
            return path;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static async Task DownloadAsync(PretrainedWeights weights, Uri url, string temporary, IProgress<WeightsDownloadProgress>? progress, CancellationToken cancellation)
    {
        try
        {
            using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellation);
            if (!response.IsSuccessStatusCode)
                throw new IOException($"Downloading {weights} from {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}. " +
                                      $"Download it by hand and put it at {Path.Combine(Folder, weights.FileName)}, or set CnnZoo.WeightsBaseUrl to a mirror.");
            var total = response.Content.Headers.ContentLength;
            await using var source = await response.Content.ReadAsStreamAsync(cancellation);
            await using var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long received = 0, reported = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellation)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellation);
                received += read;
                if (received - reported >= 1 << 20 || received == total)
                {
                    progress?.Report(new WeightsDownloadProgress(weights, received, total, null));
                    reported = received;
                }
            }
            if (total is long expected && received != expected)
                throw new IOException($"Downloading {weights} from {url} stopped after {received:N0} of {expected:N0} bytes; nothing was cached. Try again.");
        }
        catch (Exception e) when (e is HttpRequestException or HttpIOException)
        {
            throw new IOException($"Downloading {weights} from {url} failed ({e.Message}). Without network, download it elsewhere and put it at " +
                                  $"{Path.Combine(Folder, weights.FileName)}; MLNETCNN_OFFLINE=1 makes this fail at once.", e);
        }
    }

    private static async Task<bool> HashMatchesAsync(string path, string prefix, CancellationToken cancellation)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
        return prefix.Length > 0 && hash.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
    }
}
