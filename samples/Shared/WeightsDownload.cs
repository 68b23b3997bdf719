using MLNetCnn.Zoo;

namespace MLNetCnn.Samples;

/// <summary>
/// Fetches pretrained weights into the cache before training, with a progress bar on the console (the trainer would fetch
/// them too, silently). Weights that ship offline, or are already cached, need no download; unknown names are left to the
/// trainer, whose message lists the known ones.
/// </summary>
internal sealed class WeightsDownload : IProgress<WeightsDownloadProgress>
{
    private const int BarWidth = 30;
    private int lastDrawn = -1;

    public static void Fetch(string architecture, string weights)
    {
        if (!CnnZoo.IsRegistered(architecture) || CnnZoo.Weights(architecture).FirstOrDefault(w => w.Name == weights) is not { Url: not null })
            return;
        CnnZoo.FetchWeightsAsync(architecture, weights, new WeightsDownload()).GetAwaiter().GetResult();
    }

    // Called on the downloading thread, in order (not through Progress<T>, which may reorder reports).
    public void Report(WeightsDownloadProgress value)
    {
        if (value.Message is string message)   // from the cache, or saved: the bar's line ends first
        {
            Console.WriteLine((lastDrawn >= 0 ? Environment.NewLine : "") + message);
            return;
        }
        if (value.TotalBytes is not long total || total <= 0)
            return;
        var percent = (int)(100 * value.BytesReceived / total);
        if (percent == lastDrawn)
            return;
        lastDrawn = percent;
        var filled = percent * BarWidth / 100;
        Console.Write($"\r{value.Weights.Architecture} {value.Weights.Name} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {percent,3}% " +
                      $"{value.BytesReceived / 1e6:F1}/{total / 1e6:F1} MB");
    }
}
