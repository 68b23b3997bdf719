namespace MLNetCnn.Zoo;

/// <summary>How fetching a weights file goes: bytes so far of how many, or a line about the cache.</summary>
/// <param name="Weights">The weights being fetched.</param>
/// <param name="BytesReceived">Bytes downloaded so far (0 when the file came from the cache).</param>
/// <param name="TotalBytes">The file's size when the server says it; null otherwise.</param>
/// <param name="Message">A line worth showing (from the cache, a corrupt cached copy replaced, done), or null for a byte count.</param>
public sealed record WeightsDownloadProgress(PretrainedWeights Weights, long BytesReceived, long? TotalBytes, string? Message);
