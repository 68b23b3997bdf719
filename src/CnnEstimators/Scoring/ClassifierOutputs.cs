using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Internal;

namespace MLNetCnn.Scoring;

/// <summary>
/// A multiclass classifier's two added columns, <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (a key with
/// the training label's values), annotated as ML.NET's own multiclass trainers annotate them, so <c>Evaluate</c>,
/// <c>MapKeyToValue</c> and prediction engines treat them alike. The trained classifier and the ensemble both use it.
/// </summary>
internal sealed class ClassifierOutputs : BatchOutputs
{
    // ML.NET's annotation names and values (AnnotationUtils is internal; these strings are its public contract).
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    private const string ScoreColumnKind = "ScoreColumnKind";
    private const string ScoreValueKind = "ScoreValueKind";
    private const string MulticlassKind = "MulticlassClassification";

    public ClassifierOutputs(string scoreName, string predictedLabelName, KeyDataViewType labelType, DataViewSchema.Annotations labelAnnotations)
    {
        ScoreName = scoreName;
        PredictedLabelName = predictedLabelName;
        LabelType = labelType.RawType == typeof(uint) ? labelType : new KeyDataViewType(typeof(uint), labelType.Count);
        LabelAnnotations = labelAnnotations;
    }

    /// <summary>Outputs for a label whose key values are <paramref name="labelValues"/> (as a checkpoint stores them).</summary>
    public static ClassifierOutputs ForLabelValues(string scoreName, string predictedLabelName, IReadOnlyList<string> labelValues)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> dst) =>
            dst = new VBuffer<ReadOnlyMemory<char>>(labelValues.Count, labelValues.Select(v => v.AsMemory()).ToArray());
        builder.Add(KeyValues, new VectorDataViewType(TextDataViewType.Instance, labelValues.Count), getter);
        return new ClassifierOutputs(scoreName, predictedLabelName, new KeyDataViewType(typeof(uint), labelValues.Count), builder.ToAnnotations());
    }

    public string ScoreName { get; }
    public string PredictedLabelName { get; }
    public KeyDataViewType LabelType { get; }
    public DataViewSchema.Annotations LabelAnnotations { get; }
    public int Classes => (int)LabelType.Count;

    public override int ValuesPerRow => Classes;

    /// <summary>The label's key values as text, or null when the key has none or they are not text.</summary>
    public string[]? TextLabelValues()
    {
        if (LabelAnnotations.Schema.GetColumnOrNull(KeyValues) is not { Type: VectorDataViewType { ItemType: TextDataViewType } })
            return null;
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        LabelAnnotations.GetValue(KeyValues, ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>What the label's key values are, for messages: their type, or that there are none.</summary>
    public string LabelValuesDescription
        => LabelAnnotations.Schema.GetColumnOrNull(KeyValues) is { } column ? column.Type.ToString() ?? "unknown" : $"absent (a key of {Classes} classes without values)";

    public override DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(ScoreName, new VectorDataViewType(NumberDataViewType.Single, Classes), ScoreAnnotations());
        builder.AddColumn(PredictedLabelName, LabelType, PredictedLabelAnnotations());
        return builder.ToSchema();
    }

    /// <summary>The estimator's view of <see cref="OutputSchema"/>: the input shape with Score and PredictedLabel and their annotations.</summary>
    public SchemaShape OutputShape(SchemaShape input)
    {
        var keyValues = LabelAnnotations.Schema.GetColumnOrNull(KeyValues) is { Type: VectorDataViewType { ItemType: var item } }
            ? MLNetInternals.NewColumn(KeyValues, SchemaShape.Column.VectorKind.Vector, item, false, null)
            : (SchemaShape.Column?)null;
        return OutputShape(input, ScoreName, PredictedLabelName, keyValues);
    }

    /// <summary>
    /// The estimator's view before training, from the label column's shape: Score (vector of Single, with SlotNames when the
    /// label has key values) and PredictedLabel (UInt32 key, with the label's KeyValues), both with ML.NET's score-kind annotations.
    /// </summary>
    public static SchemaShape OutputShape(SchemaShape input, string scoreName, string predictedLabelName, SchemaShape.Column? labelKeyValues)
    {
        var text = TextDataViewType.Instance;
        SchemaShape.Column[] kinds =
        [
            MLNetInternals.NewColumn(ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, text, false, null),
            MLNetInternals.NewColumn(ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, text, false, null),
        ];
        var scoreAnnotations = labelKeyValues is { } names
            ? kinds.Append(MLNetInternals.NewColumn(SlotNames, SchemaShape.Column.VectorKind.Vector, names.ItemType, false, null))
            : kinds;
        var predictedAnnotations = labelKeyValues is { } values ? kinds.Append(values) : kinds;
        var score = MLNetInternals.NewColumn(scoreName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape(scoreAnnotations));
        var predicted = MLNetInternals.NewColumn(predictedLabelName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true,
            new SchemaShape(predictedAnnotations));
        return new SchemaShape(input.Where(c => c.Name != scoreName && c.Name != predictedLabelName).Append(score).Append(predicted));
    }

    public override ValueGetter<TValue> Getter<TValue>(int addedColumn, RowValues current)
        => addedColumn == 0 ? VectorGetter<TValue>(current, ScoreName) : PredictedLabelGetter<TValue>(current);

    /// <summary>The arg-max as a 1-based key; 0 (missing) for a row without scores.</summary>
    private ValueGetter<TValue> PredictedLabelGetter<TValue>(RowValues current)
    {
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Column '{PredictedLabelName}' is a key of UInt32; asked for {typeof(TValue).Name}.");
        ValueGetter<uint> getter = (ref uint value) =>
        {
            var scores = current();
            var best = -1;
            for (var i = 0; i < scores.Length; i++)
                if (!float.IsNaN(scores[i]) && (best < 0 || scores[i] > scores[best]))
                    best = i;
            value = (uint)(best + 1);
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    private DataViewSchema.Annotations ScoreAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (LabelAnnotations.Schema.GetColumnOrNull(KeyValues) is { Type: VectorDataViewType { ItemType: TextDataViewType } } keyValues)
        {
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> names = (ref VBuffer<ReadOnlyMemory<char>> value)
                => LabelAnnotations.GetValue(KeyValues, ref value);
            builder.Add(SlotNames, keyValues.Type, names);
        }
        AddText(builder, ScoreColumnKind, MulticlassKind);
        AddText(builder, ScoreValueKind, "Score");
        return builder.ToAnnotations();
    }

    private DataViewSchema.Annotations PredictedLabelAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(LabelAnnotations, name => name == KeyValues);
        AddText(builder, ScoreColumnKind, MulticlassKind);
        AddText(builder, ScoreValueKind, "PredictedLabel");
        return builder.ToAnnotations();
    }

    private static void AddText(DataViewSchema.Annotations.Builder builder, string name, string text)
    {
        ValueGetter<ReadOnlyMemory<char>> getter = (ref ReadOnlyMemory<char> value) => value = text.AsMemory();
        builder.Add(name, TextDataViewType.Instance, getter);
    }
}
