"""Ordinary prose per language, the source of each language's phone statistics.

Written for FaceMimic (everyday topics: weather, food, travel, work, family, news), none of it
taken from the lip-sync evaluation or held-out sentences (:mod:`facemimic.lipsync.evalset`).
Its only use is counting which phones follow which (:mod:`facemimic.lipsync.phone_lm`): the
words' pronunciations come from espeak-ng, so the text needs ordinary spelling and everyday
vocabulary, not any particular content. The vowel sample texts of :mod:`.inventory` are added.
"""

from __future__ import annotations

from .inventory import SAMPLE_TEXTS

CORPUS: dict[str, str] = {
    "de": """
Am Montag regnete es den ganzen Tag, und wir blieben zu Hause. Meine Schwester backte einen
Kuchen mit Äpfeln und Zimt, während ich die Zeitung las. Der Zug nach Hamburg hatte wieder
Verspätung, weil ein Baum auf die Gleise gefallen war. Können Sie mir bitte sagen, wo der
Bahnhof ist? Geradeaus bis zur Kirche, dann links an der Apotheke vorbei. Im Sommer fahren
viele Familien an die Ostsee oder in die Berge. Mein Großvater erzählt gern von seiner
Kindheit auf dem Bauernhof, von Pferden, Kühen und dem schweren Winter. Wir brauchen noch Milch,
Butter, Brot und ein paar Kartoffeln für das Abendessen. Die Besprechung beginnt um halb
zehn im kleinen Raum neben der Küche. Hast du schon gehört, dass die Bibliothek im Frühling
umzieht? Das neue Gebäude ist hell, modern und liegt direkt am Fluss. Nach der Arbeit gehe ich
oft im Park spazieren, manchmal auch joggen. Die Kinder lachten laut, als der Hund in den
Teich sprang. Bitte schließen Sie die Fenster, bevor Sie das Büro verlassen. Unser Nachbar
repariert sein Fahrrad jeden Samstag vor der Garage. Gestern Abend haben wir einen spannenden
Film über Wale gesehen. Wie viel kostet eine Fahrkarte nach München und zurück? Die Ärztin
sagte, ich solle mehr Wasser trinken und früher schlafen gehen. Im Herbst werden die Blätter
gelb, rot und braun, und die Tage werden kürzer. Mein Bruder möchte Pilot werden, aber er hat
Angst vor dem Fliegen. Der Bäcker an der Ecke verkauft die besten Brötchen der Stadt. Könntest
du mir morgen beim Umzug helfen? Wir haben viele Kisten, aber nur ein kleines Auto.
Zwischen den Bergen lag ein stiller See, auf dem zwei Schwäne schwammen. Die Lehrerin erklärte
die Aufgabe zweimal, doch niemand verstand sie sofort. Pünktlich um sieben klingelte der
Wecker, und der Tag begann wie jeder andere. Er trank seinen Kaffee schwarz, ohne Zucker, und
las dabei die Nachrichten auf dem Handy. Vorsicht, die Treppe ist glatt! Im Supermarkt gab es
frische Erdbeeren, Spargel und junge Zwiebeln. Die Regierung plant neue Gesetze für Strom,
Heizung und öffentliche Verkehrsmittel. Meine Freundin spielt Geige in einem kleinen Orchester.
Am Wochenende besuchen wir die Großeltern auf dem Land, wo es ruhig und grün ist.
""",
    "fr": """
Lundi, il a plu toute la journée, alors nous sommes restés à la maison. Ma sœur a préparé
une tarte aux pommes pendant que je lisais le journal. Le train pour Marseille avait encore du
retard à cause d'un arbre tombé sur la voie. Pourriez-vous me dire où se trouve la gare? Tout
droit jusqu'à l'église, puis à gauche après la pharmacie. En été, beaucoup de familles partent
à la mer ou à la montagne. Mon grand-père aime raconter son enfance à la ferme, les chevaux,
les vaches et les hivers très froids. Il nous faut encore du lait, du beurre, du pain et
quelques pommes de terre pour le dîner. La réunion commence à neuf heures et demie dans la
petite salle à côté de la cuisine. Tu as entendu que la bibliothèque déménage au printemps?
Le nouveau bâtiment est clair, moderne et se trouve juste au bord du fleuve. Après le travail,
je me promène souvent dans le parc, et parfois je cours un peu. Les enfants ont ri très fort
quand le chien a sauté dans l'étang. Fermez les fenêtres avant de quitter le bureau, s'il vous
plaît. Notre voisin répare son vélo chaque samedi devant le garage. Hier soir, nous avons vu
un film passionnant sur les baleines. Combien coûte un billet aller-retour pour Bordeaux? Le
médecin m'a conseillé de boire plus d'eau et de me coucher plus tôt. En automne, les feuilles
deviennent jaunes, rouges et brunes, et les jours raccourcissent. Mon frère voudrait devenir
pilote, mais il a peur de l'avion. Le boulanger du coin vend les meilleurs croissants de la
ville. Tu pourrais m'aider à déménager demain? Nous avons beaucoup de cartons, mais seulement
une petite voiture. Entre les montagnes se cachait un lac tranquille où nageaient deux cygnes.
La maîtresse a expliqué l'exercice deux fois, mais personne n'a compris tout de suite. À sept
heures précises, le réveil a sonné, et la journée a commencé comme toutes les autres. Il boit
son café noir, sans sucre, en lisant les nouvelles sur son téléphone. Attention, l'escalier
est glissant! Au marché, il y avait des fraises, des asperges et des oignons nouveaux. Le
gouvernement prépare de nouvelles lois sur l'électricité, le chauffage et les transports.
Mon amie joue du violon dans un petit orchestre. Le week-end, nous rendons visite à nos
grands-parents à la campagne, où tout est calme et vert.
""",
    "es": """
El lunes llovió todo el día, así que nos quedamos en casa. Mi hermana preparó una tarta de
manzana mientras yo leía el periódico. El tren a Valencia volvió a llegar tarde porque un árbol
cayó sobre la vía. ¿Podría decirme dónde está la estación? Todo recto hasta la iglesia y luego
a la izquierda después de la farmacia. En verano muchas familias van a la playa o a la montaña.
Mi abuelo cuenta con gusto su infancia en el campo, los caballos, las vacas y los inviernos
duros. Todavía necesitamos leche, mantequilla, pan y unas patatas para la cena. La reunión
empieza a las nueve y media en la sala pequeña junto a la cocina. ¿Has oído que la biblioteca
se muda en primavera? El edificio nuevo es luminoso, moderno y está junto al río. Después del
trabajo suelo pasear por el parque, y a veces salgo a correr. Los niños se rieron mucho cuando
el perro saltó al estanque. Por favor, cierre las ventanas antes de salir de la oficina.
Nuestro vecino arregla su bicicleta cada sábado delante del garaje. Anoche vimos una película
fascinante sobre las ballenas. ¿Cuánto cuesta un billete de ida y vuelta a Madrid? La doctora
me dijo que bebiera más agua y que me acostara más temprano. En otoño las hojas se vuelven
amarillas, rojas y marrones, y los días se acortan. Mi hermano quiere ser piloto, pero le da
miedo volar. El panadero de la esquina vende el mejor pan de la ciudad. ¿Me podrías ayudar con
la mudanza mañana? Tenemos muchas cajas, pero solo un coche pequeño. Entre las montañas había
un lago tranquilo donde nadaban dos cisnes. La maestra explicó el ejercicio dos veces, pero
nadie lo entendió enseguida. A las siete en punto sonó el despertador, y el día empezó como
cualquier otro. Toma el café solo, sin azúcar, mientras lee las noticias en el móvil. ¡Cuidado,
la escalera resbala! En el mercado había fresas, espárragos y cebolletas frescas. El gobierno
prepara nuevas leyes sobre la electricidad, la calefacción y el transporte público. Mi amiga
toca el violín en una orquesta pequeña. Los fines de semana visitamos a los abuelos en el
pueblo, donde todo es tranquilo y verde.
""",
    "it": """
Lunedì ha piovuto tutto il giorno, così siamo rimasti a casa. Mia sorella ha fatto una torta
di mele mentre io leggevo il giornale. Il treno per Firenze era di nuovo in ritardo perché un
albero era caduto sui binari. Potrebbe dirmi dov'è la stazione? Sempre dritto fino alla chiesa,
poi a sinistra dopo la farmacia. D'estate molte famiglie vanno al mare o in montagna. Mio nonno
racconta volentieri la sua infanzia in campagna, i cavalli, le mucche e gli inverni freddi.
Ci servono ancora latte, burro, pane e qualche patata per la cena. La riunione comincia alle
nove e mezza nella saletta accanto alla cucina. Hai sentito che la biblioteca si trasferisce
in primavera? Il nuovo edificio è luminoso, moderno e si trova proprio sul fiume. Dopo il
lavoro passeggio spesso nel parco, e qualche volta vado a correre. I bambini hanno riso forte
quando il cane è saltato nello stagno. Per favore, chiuda le finestre prima di lasciare
l'ufficio. Il nostro vicino ripara la bicicletta ogni sabato davanti al garage. Ieri sera
abbiamo visto un film appassionante sulle balene. Quanto costa un biglietto di andata e ritorno
per Napoli? La dottoressa mi ha detto di bere più acqua e di andare a letto prima. In autunno
le foglie diventano gialle, rosse e marroni, e le giornate si accorciano. Mio fratello vuole
fare il pilota, ma ha paura di volare. Il fornaio all'angolo vende il pane migliore della
città. Mi potresti aiutare con il trasloco domani? Abbiamo tante scatole, ma solo una
macchina piccola. Tra le montagne c'era un lago tranquillo dove nuotavano due cigni. La
maestra ha spiegato l'esercizio due volte, ma nessuno l'ha capito subito. Alle sette in punto
è suonata la sveglia, e la giornata è cominciata come tutte le altre. Beve il caffè amaro,
senza zucchero, mentre legge le notizie sul telefono. Attenzione, la scala è scivolosa! Al
mercato c'erano fragole, asparagi e cipollotti freschi. Il governo prepara nuove leggi
sull'elettricità, sul riscaldamento e sui trasporti pubblici. La mia amica suona il violino in
una piccola orchestra. Nel fine settimana andiamo a trovare i nonni in campagna, dove tutto è
calmo e verde.
""",
}


def _base(code: str) -> str:
    return code.split("-")[0].lower()


def has_corpus(language: str) -> bool:
    """True when there is prose for ``language`` (by its base code: ``fr-fr`` -> ``fr``)."""
    return _base(language) in CORPUS


def corpus_text(language: str) -> str:
    """The language's prose (:data:`CORPUS`, then its vowel sample text), whitespace collapsed.

    Raises
    ------
    KeyError
        For a language without prose (check :func:`has_corpus` first).
    """
    base = _base(language)
    text = " ".join(CORPUS[base].split())
    if base in SAMPLE_TEXTS:
        text += " " + SAMPLE_TEXTS[base]
    return text


__all__ = ["CORPUS", "corpus_text", "has_corpus"]
