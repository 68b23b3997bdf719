using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNetCnn.Data;

/// <summary>Checks of the image and label columns, with errors that say what was found and what to do.</summary>
internal static class InputColumns
{
    public static DataViewSchema.Column CheckImage(DataViewSchema schema, string name, CnnPreprocessing preprocessing)
    {
        var column = Find(schema, name, "image");
        if (!PixelReader.Accepts(column.Type, preprocessing.InputKind))
            throw new ArgumentException(
                $"Column '{name}' must be {preprocessing.ExpectedColumnText}; found {column.Type}. " +
                (preprocessing.InputKind == CnnInputKind.Image
                    ? "Load images with mlContext.Transforms.LoadImages."
                    : "Give a float vector column, e.g. from ExtractPixels, with the shape set in the options."), nameof(schema));
        return column;
    }

    /// <summary>The image column and its kind: an MLImage, or a float vector of the given shape (which the options must give).</summary>
    public static (DataViewSchema.Column Column, CnnInputKind Kind) FindImage(DataViewSchema schema, string name, (int Channels, int Height, int Width)? vectorShape)
    {
        var column = Find(schema, name, "image");
        return (column, KindOf(column, vectorShape));
    }

    private static CnnInputKind KindOf(DataViewSchema.Column column, (int Channels, int Height, int Width)? vectorShape)
    {
        if (column.Type is ImageDataViewType)
            return CnnInputKind.Image;
        if (column.Type is VectorDataViewType { ItemType: NumberDataViewType n } vector && n.RawType == typeof(float))
        {
            if (vectorShape is null)
                throw new ArgumentException(
                    $"Column '{column.Name}' is {column.Type}: set Input.VectorShape (channels, height, width) in the trainer options so the trainer knows its layout.");
            var (c, h, w) = vectorShape.Value;
            if (vector.Size != 0 && vector.Size != c * h * w)
                throw new ArgumentException(
                    $"Column '{column.Name}' must be an image or a vector of {c}*{h}*{w} = {c * h * w} floats; found {column.Type}. Fix Input.VectorShape or the column.");
            return CnnInputKind.Vector;
        }
        throw new ArgumentException(
            $"Column '{column.Name}' must be an image (MLImage, from LoadImages) or a vector of floats (C*H*W pixels); found {column.Type}.");
    }

    public static (DataViewSchema.Column Column, KeyDataViewType Type) CheckLabel(DataViewSchema schema, string name)
    {
        var column = Find(schema, name, "label");
        if (column.Type is not KeyDataViewType key)
            throw new ArgumentException(
                $"Label column '{name}' must be a key; found {column.Type}. Convert it with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\") before the trainer.");
        if (key.RawType != typeof(uint))
            throw new ArgumentException($"Label column '{name}' must be a UInt32 key (MapValueToKey's kind); found {column.Type}.");
        if (key.Count < 2)
            throw new ArgumentException($"Label column '{name}' has {key.Count} class(es); a classifier needs at least 2.");
        return (column, key);
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
        => schema.GetColumnOrNull(name) ?? throw Messages.MissingColumn(role, name, schema, nameof(schema));
}
