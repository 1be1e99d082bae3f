/// A few KJV verses in the layouts ``Training/BibleVerse/parse(kjv:)`` reads, copied from the
/// output of Debian's `bible` program (package `bible-kjv`).
enum KJVSample {
    /// `bible -l0 "gen1:1-5" "ps23:1-6" "jn1:1-5" "mt5:3-9"`.
    static let unwrapped = """

    Genesis 1

      1 In the beginning God created the heaven and the earth.
      2 And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.
      3 And God said, Let there be light: and there was light.
      4 And God saw the light, that it was good: and God divided the light from the darkness.
      5 And God called the light Day, and the darkness he called Night. And the evening and the morning were the first day.

    Psalms 23

      1 The LORD is my shepherd; I shall not want.
      2 He maketh me to lie down in green pastures: he leadeth me beside the still waters.
      3 He restoreth my soul: he leadeth me in the paths of righteousness for his name's sake.
      4 Yea, though I walk through the valley of the shadow of death, I will fear no evil: for thou art with me; thy rod and thy staff they comfort me.
      5 Thou preparest a table before me in the presence of mine enemies: thou anointest my head with oil; my cup runneth over.
      6 Surely goodness and mercy shall follow me all the days of my life: and I will dwell in the house of the LORD for ever.

    John 1

      1 In the beginning was the Word, and the Word was with God, and the Word was God.
      2 The same was in the beginning with God.
      3 All things were made by him; and without him was not any thing made that was made.
      4 In him was life; and the life was the light of men.
      5 And the light shineth in darkness; and the darkness comprehended it not.

    Matthew 5

      3 Blessed are the poor in spirit: for theirs is the kingdom of heaven.
      4 Blessed are they that mourn: for they shall be comforted.
      5 Blessed are the meek: for they shall inherit the earth.
      6 Blessed are they which do hunger and thirst after righteousness: for they shall be filled.
      7 Blessed are the merciful: for they shall obtain mercy.
      8 Blessed are the pure in heart: for they shall see God.
      9 Blessed are the peacemakers: for they shall be called the children of God.
    """

    /// `bible -l60 "1ki3:5-6" "song1:1-2"`: wrapped lines and book names with a digit and with
    /// several words.
    static let wrapped = """

    1 Kings 3

      5 In Gibeon the LORD appeared to Solomon in a dream by
    night: and God said, Ask what I shall give thee.
      6 And Solomon said, Thou hast shewed unto thy servant
    David my father great mercy, according as he walked before
    thee in truth, and in righteousness, and in uprightness of
    heart with thee; and thou hast kept for him this great
    kindness, that thou hast given him a son to sit on his
    throne, as it is this day.

    Song of Solomon 1

      1 The song of songs, which is Solomon's.
      2 Let him kiss me with the kisses of his mouth: for thy
    love is better than wine.
    """

    /// One verse per line.
    static let oneLine = """
    Genesis 1:1 In the beginning God created the heaven and the earth.
    1 Kings 3:5 In Gibeon the LORD appeared to Solomon in a dream by night: and God said, Ask what I shall give thee.
    """
}
