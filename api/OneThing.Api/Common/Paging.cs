namespace OneThing.Api.Common;

public sealed record PageOf<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

public readonly record struct Paging(int Page, int Size)
{
    public const int MaxPageSize = 200;

    public int Offset => (Page - 1) * Size;

    public static Paging Read(int? page, int? pageSize, FieldErrors errors)
    {
        if (page is < 1)
        {
            errors.Add("page", "Must be 1 or more.");
        }
        if (pageSize is < 1 or > MaxPageSize)
        {
            errors.Add("pageSize", $"Must be from 1 to {MaxPageSize}.");
        }
        return new Paging(page ?? 1, pageSize ?? 50);
    }
}
