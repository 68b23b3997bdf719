using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>The network to train: a zoo architecture (and its variant), from scratch or from pretrained weights, or a model of your own.</summary>
[JsonConverter(typeof(CnnModelOptionsJson))]
public sealed record CnnModelOptions
{
    /// <summary>Registry name of the architecture (see <c>CnnZoo.Names</c>). Ignored when <see cref="Instance"/> is set.</summary>
    public string Architecture { get; init; } = "resnet18";

    /// <summary>
    /// The variant of <see cref="Architecture"/> to build, of the type its registry entry takes (<c>CnnZoo.ArgumentsType(name)</c>: e.g.
    /// <see cref="ResNetArguments"/> for other blocks per stage or width, <see cref="VggArguments"/>, <see cref="CifarResNetArguments"/>);
    /// null builds the registered default. Checkpoints and saved models record it, so reloading rebuilds the same variant.
    /// </summary>
    public object? Arguments { get; init; }

    /// <summary>
    /// Start from these pretrained weights of <see cref="Architecture"/> (e.g. <c>IMAGENET1K_V1</c>; <c>CnnZoo.Weights(name)</c> lists them),
    /// the head reset to the label's classes, the weights' preprocessing used unless the input options say otherwise; grey images
    /// are repeated into the three channels such weights take. Null trains from scratch.
    /// </summary>
    public string? Weights { get; init; }

    /// <summary>
    /// A model to fine-tune (built or loaded by you, e.g. with pretrained weights) instead of <see cref="Architecture"/>; its head is
    /// reset to the label's class count when that differs. Not part of the JSON form: a model object is not a configuration.
    /// </summary>
    [JsonIgnore]
    public CnnModel? Instance { get; init; }

    internal IEnumerable<string> Problems()
    {
        if (Instance is null && string.IsNullOrWhiteSpace(Architecture))
            yield return "Model.Architecture must name a zoo architecture, or Model.Instance must be set.";
        if (Weights is not null && Instance is not null)
            yield return "Set Model.Weights (pretrained weights of Model.Architecture) or Model.Instance, not both.";
        if (Arguments is not null && Instance is not null)
            yield return "Set Model.Arguments (a variant of Model.Architecture) or Model.Instance, not both.";
        if (Arguments is not null && Instance is null && CnnZoo.IsRegistered(Architecture) && CnnZoo.ArgumentsType(Architecture) is var expected
            && expected != Arguments.GetType())
            yield return expected is null
                ? $"Model.Arguments: '{Architecture}' takes no arguments; got {Arguments.GetType().Name}."
                : $"Model.Arguments: '{Architecture}' takes {expected.Name}; got {Arguments.GetType().Name}.";
    }
}

// The arguments' type depends on the architecture, so they are written as the record's own JSON and read back once the
// architecture is known (the registry says which record it takes).
internal sealed class CnnModelOptionsJson : JsonConverter<CnnModelOptions>
{
    public override CnnModelOptions Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new JsonException("Model must be an object with Architecture, Arguments and Weights.");
        var result = new CnnModelOptions();
        foreach (var property in root.EnumerateObject())
        {
            result = property.Name switch
            {
                nameof(CnnModelOptions.Architecture) => result with { Architecture = property.Value.GetString() ?? throw new JsonException("Model.Architecture is null.") },
                nameof(CnnModelOptions.Weights) => result with { Weights = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString() },
                nameof(CnnModelOptions.Arguments) => result,
                _ => throw new JsonException($"Model has no option '{property.Name}' (it has Architecture, Arguments and Weights)."),
            };
        }
        if (root.TryGetProperty(nameof(CnnModelOptions.Arguments), out var arguments) && arguments.ValueKind != JsonValueKind.Null)
        {
            try
            {
                result = result with { Arguments = CnnZoo.ArgumentsFromJson(result.Architecture, arguments.GetRawText()) };
            }
            catch (ArgumentException e)
            {
                throw new JsonException($"Model.Arguments: {e.Message}", e);
            }
        }
        return result;
    }

    public override void Write(Utf8JsonWriter writer, CnnModelOptions value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(nameof(CnnModelOptions.Architecture), value.Architecture);
        writer.WritePropertyName(nameof(CnnModelOptions.Arguments));
        if (value.Arguments is null)
            writer.WriteNullValue();
        else
            JsonSerializer.Serialize(writer, value.Arguments, value.Arguments.GetType(), options);
        writer.WriteString(nameof(CnnModelOptions.Weights), value.Weights);
        writer.WriteEndObject();
    }
}
