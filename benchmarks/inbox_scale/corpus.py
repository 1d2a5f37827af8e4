"""Message text for the benchmark: library-desk sentences with three controlled terms.

The search pages are only comparable between runs and engines if the number of
matches is known, so three terms are planted at fixed rates and appear nowhere else:

    RARE_WORD     a handful of messages          (an index lookup, nothing to scan)
    PHRASE        ~0.27 % of messages (~2.7k/1M) (both words also occur apart)
    COMMON_WORD   ~5 % of messages (~50k/1M)     (a naive ranked search scores all)

Everything else is generated: sentence templates with slots filled from word lists,
plus a Zipf-distributed lexicon of ~20k made-up words (surnames, street names, typos
in real life) so the full-text index has a realistic number of distinct tokens.
Bodies are drawn from pre-filled sentence pools, which keeps generating a million of
them to seconds.
"""

from __future__ import annotations

import random
import re
from itertools import accumulate, pairwise

RARE_WORD = "ornithopter"
PHRASE = ("interlibrary", "loan")
COMMON_WORD = "renew"
PHRASE_TEXT = " ".join(PHRASE)

# Rates per message (the rare word is planted a fixed number of times instead).
COMMON_RATE = 0.05
PHRASE_RATE = 0.0027
# The phrase's first word on its own ("interlibrary request"), so a phrase search
# must check positions, not just that both words occur.
PHRASE_HEAD_ALONE_RATE = 0.004

TOKEN = re.compile(r"\w+", re.UNICODE)


def words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


TITLES_ADJ = words(
    "Silent Hidden Last Little Golden Broken Winter Northern Lost Secret Quiet Burning "
    "Painted Midnight Wild Distant Hollow Bright Ancient Paper Glass Iron Velvet Salt"
)
TITLES_NOUN = words(
    "Garden River Orchard Lighthouse Harbor Library Kingdom Archive Compass Island "
    "Mountain Letter Station Forest Meadow Theater Museum Bridge Country Circus Sparrow"
)
FIRST_NAMES = words(
    "Ada Ben Chloe Dev Elena Farid Grace Hiro Ines Jonah Kemi Liam Mara Nikhil Olga Pablo "
    "Quinn Rosa Sami Tess Umar Vera Wes Xia Yusuf Zoe Amara Bruno Carmen Dmitri Esther "
    "Felix Gita Hannah Ivan Jade Kofi Lena Mateo Nora Oscar Priya Rafael Sofia Theo Uma "
    "Victor Wren"
)
LAST_NAMES = words(
    "Abbott Banerjee Castillo Dubois Eriksen Fontaine Garcia Haddad Ito Jensen Kowalski "
    "Lindqvist Moreau Nakamura Okafor Petrov Quintero Rossi Sato Tanaka Usman Varga Weber "
    "Xu Yilmaz Zhang Adeyemi Bianchi Cohen Delgado Evans Fischer Gupta Horvat Ivanova "
    "Jovanovic Kim Larsen Mensah Novak Olsen Park Quinn Reyes Silva Torres Ueda Vasquez "
    "Walsh Young"
)
BRANCHES = words("Riverside Eastgate Hillcrest Millbrook Central Northfield Oakwood Harbourview")
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIMES = ["9am", "10am", "10:30", "11am", "noon", "1pm", "2pm", "3:30", "4pm", "5pm", "6pm", "7pm"]
ITEMS = words(
    "book audiobook DVD laptop hotspot museum pass board game telescope sewing machine "
    "ukulele e-reader magazine graphic novel cookbook atlas"
)
EVENTS = words(
    "story time|the book club|the coding club|the author talk|the tax clinic|"
    "the film night|the craft workshop|homework help|the English conversation group|"
    "the seed library swap",
    sep="|",
)

INCOMING = (
    "Hi, is {title} available at the {branch} branch?",
    "I returned {title} on {day} but it still shows on my account.",
    "My card stopped working at the self checkout this morning.",
    "Can you hold {title} by {author} for me?",
    "What time does the {branch} branch open on {day}?",
    "Is {event} still on this {day} at {time}?",
    "I think I was charged a fine for the {item} by mistake.",
    "My daughter lost her library card, how do we get a new one?",
    "Do you have any copies of {title} in large print?",
    "The wifi at {branch} keeps dropping every few minutes.",
    "Thank you so much for helping me yesterday, {staff} was wonderful.",
    "Can I borrow a {item} for two weeks?",
    "The {item} I borrowed is missing a charger.",
    "I would like to book a study room for {day} afternoon.",
    "Where can I find the local history collection?",
    "Is parking free at the {branch} branch on weekends?",
    "Could you add {title} to the catalogue? Our book club wants it.",
    "I'm waiting for a callback about my account, it has been a week.",
    "The printer on the second floor ate my pages again.",
    "Are dogs allowed at {event}?",
    "How many items can I have out at once on a family card?",
    "I never got the email about my hold on {title}.",
    "The audiobook app says my loan has expired but I only started it.",
    "Can someone help me set up the e-reader at home?",
    "My son left his jacket in the children's area on {day}.",
    "Do you accept donations of old magazines?",
    "Is there a waiting list for {event}?",
    "The book drop at {branch} is full, where should I leave these?",
    "Hello? Anyone there? I sent a message on {day}.",
    "I'd love to volunteer at {event}, who do I talk to?",
)
REPLIES = (
    "Hi {first}, thanks for writing! {title} is on the shelf at {branch} today.",
    "Thanks {first}, I've checked your account and cleared that for you.",
    "Good news: your hold on {title} is ready at the {branch} desk until {day}.",
    "Sorry about that! I've reset your card, please try again.",
    "{event} starts at {time} on {day}; no need to book.",
    "I've passed this on to our systems team and will update you by {day}.",
    "You can have up to 30 items on a family card, including 5 {item}s.",
    "The loan period for a {item} is two weeks, with one extension.",
    "We found the jacket, it's at the {branch} front desk.",
    "Thanks for letting us know, a colleague is looking at the printer now.",
    "Yes, the study room is yours on {day} from {time}.",
    "Happy to help! Bring a photo ID and we'll print a new card.",
    "I've added {title} to our purchase suggestions list.",
    "That fine was a mistake on our side, it's removed now.",
    "Parking at {branch} is free after 5pm and all weekend.",
)
NOTES = (
    "Checked the account: two cards merged last year, fixed.",
    "Spoke to {staff}, they will call the patron on {day}.",
    "Third message about the wifi at {branch}, raising with IT.",
    "Patron prefers texts, not email.",
    "Waiting for the supplier to confirm {title}.",
    "Possible duplicate of an earlier conversation, leaving open.",
)
# Sentences carrying the controlled terms (and nothing else controlled).
COMMON_SENTENCES = (
    "Can I renew it online?",
    "Please renew everything on my card.",
    "I tried to renew but the website said no.",
    "How many times can I renew a {item}?",
    "You can renew it twice from the app.",
)
PHRASE_SENTENCES = (
    "Has my interlibrary loan arrived yet?",
    "I requested an interlibrary loan for {title}.",
    "Your interlibrary loan is ready to collect at {branch}.",
    "How long does an interlibrary loan usually take?",
)
PHRASE_HEAD_SENTENCES = (
    "I filled in the interlibrary request form on {day}.",
    "Is the interlibrary desk open on {day}?",
)
RARE_SENTENCES = (
    "Do you still have the ornithopter model from the science week display?",
    "Is the ornithopter workshop on {day} suitable for ten year olds?",
)
TOPICS = (
    "Question about a hold",
    "Card problem",
    "Fines",
    "Opening hours",
    "Event question",
    "Wifi",
    "Lost property",
    "Study room booking",
    "Purchase suggestion",
    "",
    "",
    "",
)


def _made_up_lexicon(rng: random.Random, size: int) -> list[str]:
    """Pronounceable made-up words, none of them a controlled term."""
    onsets = words("b c d f g h j k l m n p r s t v w z br ch cl dr fl gr kr pl sh st th tr")
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "oo", "ou"]
    codas = ["", "", "n", "r", "s", "l", "m", "nd", "rt", "st", "ck", "th"]
    banned = {RARE_WORD, COMMON_WORD, *PHRASE}
    made: set[str] = set()
    while len(made) < size:
        syllables = rng.choice((2, 2, 3, 3, 4))
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)
        )
        if word not in banned:
            made.add(word)
    return sorted(made)


class MessageText:
    """Draws message bodies by kind, with the controlled terms at their rates."""

    def __init__(self, seed: int, *, pool_size: int = 40_000, lexicon_size: int = 20_000) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.lexicon = _made_up_lexicon(rng, lexicon_size)
        # Zipf: a few made-up words are everywhere, most are rare (like real names).
        self.lexicon_cum = list(accumulate(1.0 / (rank + 1) for rank in range(lexicon_size)))
        self.pools = {
            kind: [self._fill(rng.choice(templates)) for _ in range(pool_size)]
            for kind, templates in (("incoming", INCOMING), ("reply", REPLIES), ("note", NOTES))
        }
        self.common = [self._fill(rng.choice(COMMON_SENTENCES)) for _ in range(2_000)]
        self.phrase = [self._fill(rng.choice(PHRASE_SENTENCES)) for _ in range(2_000)]
        self.phrase_head = [self._fill(rng.choice(PHRASE_HEAD_SENTENCES)) for _ in range(2_000)]
        self._check_controlled_terms()

    def _fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            title=f"The {rng.choice(TITLES_ADJ)} {rng.choice(TITLES_NOUN)}",
            author=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            branch=rng.choice(BRANCHES),
            day=rng.choice(DAYS),
            time=rng.choice(TIMES),
            item=rng.choice(ITEMS),
            event=rng.choice(EVENTS),
            staff=rng.choice(FIRST_NAMES),
            first=rng.choice(FIRST_NAMES),
        )

    def _check_controlled_terms(self) -> None:
        # The planted rates are only true if no ordinary sentence carries the terms.
        ordinary = [s for pool in self.pools.values() for s in pool] + self.phrase_head
        for sentence in ordinary:
            tokens = TOKEN.findall(sentence.lower())
            if RARE_WORD in tokens or COMMON_WORD in tokens:
                raise AssertionError(f"controlled term in an ordinary sentence: {sentence}")
            for a, b in pairwise(tokens):
                if (a, b) == PHRASE:
                    raise AssertionError(f"controlled phrase in an ordinary sentence: {sentence}")

    def body(self, kind: str, *, rare: bool = False) -> tuple[str, str]:
        """(body, flags): flags holds "c" (common word), "p" (phrase), "r" (rare word)."""
        rng = self.rng
        pool = self.pools[kind]
        parts = [rng.choice(pool)]
        roll = rng.random()
        if roll < 0.55:
            parts.append(rng.choice(pool))
        if roll < 0.15:
            parts.append(rng.choice(pool))
        flags = ""
        if rng.random() < 0.6:
            # Names, places, words the lists do not have.
            count = rng.choice((1, 1, 2, 3))
            words = rng.choices(self.lexicon, cum_weights=self.lexicon_cum, k=count)
            parts.append(" ".join(words).capitalize() + ".")
        if rng.random() < COMMON_RATE:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(self.common))
            flags += "c"
        roll = rng.random()
        if roll < PHRASE_RATE:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(self.phrase))
            flags += "p"
        elif roll < PHRASE_RATE + PHRASE_HEAD_ALONE_RATE:
            parts.append(rng.choice(self.phrase_head))
        if rare:
            parts.append(self._fill(rng.choice(RARE_SENTENCES)))
            flags += "r"
        return " ".join(parts), flags

    def topic(self) -> str:
        return self.rng.choice(TOPICS)
