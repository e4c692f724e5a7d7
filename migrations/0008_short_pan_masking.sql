-- cards.bin holds the leading digits that may be shown beside last4: from now on the first six
-- only for numbers of 16 digits or more, and min(6, length - 10) for shorter ones, so that at
-- least six digits stay hidden (docs/security.md, "Masked digits"). Rows stored before kept six.
-- The number's length is not stored, and SQL cannot decrypt, so this shortens only what the
-- brand tells: American Express (34, 37) and UATP (1) numbers are 15 digits, so five leading
-- digits. A longer number of those prefixes loses one more digit than it must, which is the safe
-- side. Older rows of other brands' shorter numbers (12–15-digit Maestro, 13-digit Visa, 14-digit
-- Diners, unknown brands) keep six until the card is stored again.
UPDATE cards SET bin = substr(bin, 1, 5) WHERE brand IN ('amex', 'uatp') AND length(bin) > 5;
