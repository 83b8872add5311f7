namespace OneThing.Contracts;

/// <summary>
/// The longest text each kind of field accepts, in UTF-16 characters: one list, used by every route, by the request
/// schemas and by README's table. Stored text is served on every poll of a case, so nothing a client sends is unbounded.
/// </summary>
public static class FieldLimits
{
    /// <summary>Codes and names of things: item, material, matter, department and region codes, form field and output names.</summary>
    public const int Code = 64;

    /// <summary>People's, companies' and things' names: <c>applicant.name</c>, item, material and matter names, form labels and options, <c>resolvedBy</c>.</summary>
    public const int Name = 200;

    /// <summary><c>delivery.address</c>.</summary>
    public const int Address = 500;

    /// <summary><c>materials[].uri</c>: an absolute https URI.</summary>
    public const int Uri = 2048;

    /// <summary>Free text written for a person to read: <c>reason</c>, <c>note</c>, <c>comment</c>, <c>resolution</c>, an item's <c>description</c>.</summary>
    public const int FreeText = 2000;

    /// <summary>One form string value or one department output value (the grains' <c>FormValues.MaxStringLength</c>; a test keeps them equal).</summary>
    public const int Value = 2000;

    /// <summary>The <c>Idempotency-Key</c> header.</summary>
    public const int IdempotencyKey = 200;

    /// <summary>Short tokens with a fixed shape: <c>materials[].sha256</c>, <c>promisedBy</c>, a time limit's <c>duration</c>, a phone number.</summary>
    public const int Token = 64;

    /// <summary>Entries in one list of a body (materials, optional matters, form fields, matters, calendar dates...).</summary>
    public const int ListEntries = 500;

    /// <summary>A subscription's <c>description</c>.</summary>
    public const int SubscriptionDescription = 200;

    /// <summary>Entries in one of a subscription's lists (events, items, departments).</summary>
    public const int SubscriptionCodes = 64;

    /// <summary>A webhook receiver's URL (the grains' <c>WebhookAddressPolicy.MaxUrlLength</c>; a test keeps them equal).</summary>
    public const int WebhookUrl = 2000;

    /// <summary>Dates in one list of a calendar year: a year has no more days.</summary>
    public const int CalendarDates = 366;
}
