"""The catalogue's movies as text, one item per two lines (format in catalogue.py)."""

MOVIE_TABLE = """
550|Fight Club|1999-10-15|8.4|18,53|en|
An insomniac and a soap salesman start an underground fight club.
680|Pulp Fiction|1994-09-10|8.5|53,80|en|
Hitmen, a boxer and a gangster's wife cross paths in Los Angeles.
13|Forrest Gump|1994-06-23|8.5|35,18,10749|en|
A kind man from Alabama witnesses decades of American history.
278|The Shawshank Redemption|1994-09-23|8.7|18,80|en|
A banker imprisoned for murder finds hope over two decades.
238|The Godfather|1972-03-14|8.7|18,80|en|
The patriarch of a crime family hands his empire to his reluctant son.
240|The Godfather Part II|1974-12-20|8.6|18,80|en|
Michael Corleone tightens his grip as his father's youth is retold.
155|The Dark Knight|2008-07-16|8.5|18,28,80,53|en|
Batman faces the Joker, who wants to watch Gotham burn.
603|The Matrix|1999-03-30|8.2|28,878|en|
A hacker learns that his world is a simulation run by machines.
604|The Matrix Reloaded|2003-05-15|7.1|12,28,53,878|en|
Neo and the rebels race to defend Zion from the machines.
605|The Matrix Revolutions|2003-11-05|6.7|12,28,53,878|en|
The war between humans and machines reaches its end.
11|Star Wars|1977-05-25|8.2|12,28,878|en|
A farm boy joins a rebellion against a galactic empire.
1891|The Empire Strikes Back|1980-05-20|8.4|12,28,878|en|
The Empire strikes back as Luke trains with Yoda.
1892|Return of the Jedi|1983-05-25|7.9|12,28,878|en|
The rebels make a final stand against the Empire.
120|The Lord of the Rings: The Fellowship of the Ring|2001-12-18|8.4|12,14,28|en|
A hobbit sets out to destroy a ring of terrible power.
121|The Lord of the Rings: The Two Towers|2002-12-18|8.4|12,14,28|en|
The fellowship is broken and war comes to Rohan.
122|The Lord of the Rings: The Return of the King|2003-12-01|8.5|12,14,28|en|
The final battle for Middle-earth begins.
27205|Inception|2010-07-15|8.4|28,878,12|en|
A thief who steals secrets through dreams is asked to plant one.
157336|Interstellar|2014-11-05|8.4|12,18,878|en|
Explorers travel through a wormhole to save humanity.
424|Schindler's List|1993-12-15|8.6|18,36,10752|en|
An industrialist saves more than a thousand Jews during the Holocaust.
129|Spirited Away|2001-07-20|8.5|16,10751,14|ja|千と千尋の神隠し
A girl must free her parents in a world of spirits.
497|The Green Mile|1999-12-10|8.5|14,18,80|en|
A death row guard meets an inmate with a miraculous gift.
389|12 Angry Men|1957-04-10|8.5|18|en|
One juror questions a murder case that seems certain.
429|The Good, the Bad and the Ugly|1966-12-23|8.5|37|it|Il buono, il brutto, il cattivo
Three gunslingers compete for a hidden Confederate fortune.
769|GoodFellas|1990-09-12|8.5|18,80|en|
The rise and fall of a mob associate in New York.
274|The Silence of the Lambs|1991-02-14|8.3|80,18,53|en|
An FBI trainee seeks the help of a brilliant killer.
807|Se7en|1995-09-22|8.4|80,9648,53|en|
Two detectives hunt a killer who uses the seven deadly sins.
857|Saving Private Ryan|1998-07-24|8.2|18,36,10752|en|
A squad crosses Normandy to bring one soldier home.
597|Titanic|1997-11-18|7.9|18,10749|en|
Two young people fall in love aboard a doomed ship.
19995|Avatar|2009-12-15|7.6|28,12,14,878|en|
A marine on Pandora is torn between orders and the world he protects.
24428|The Avengers|2012-04-25|7.7|878,28,12|en|
Earth's mightiest heroes must learn to fight as a team.
299536|Avengers: Infinity War|2018-04-25|8.2|12,28,878|en|
The Avengers try to stop Thanos from collecting the Infinity Stones.
299534|Avengers: Endgame|2019-04-24|8.2|12,878,28|en|
The remaining Avengers try to undo Thanos's snap.
862|Toy Story|1995-10-30|8.0|16,12,10751,35|en|
A cowboy doll feels threatened by a new space ranger toy.
863|Toy Story 2|1999-10-30|7.6|16,35,10751|en|
Woody is stolen by a toy collector and his friends mount a rescue.
10193|Toy Story 3|2010-06-16|7.8|16,10751,35|en|
The toys are donated to a daycare that is not what it seems.
12|Finding Nemo|2003-05-30|7.8|16,10751|en|
A timid clownfish crosses the ocean to find his son.
585|Monsters, Inc.|2001-11-01|7.8|16,35,10751|en|
Two monsters find a human child loose in their city.
9806|The Incredibles|2004-10-27|7.7|28,12,16,10751|en|
A family of undercover superheroes is called back to action.
10681|WALL·E|2008-06-22|8.1|16,10751,878|en|
A lonely robot follows a probe into space.
14160|Up|2009-05-28|8.0|16,35,10751,12|en|
A widower ties balloons to his house and flies to South America.
150540|Inside Out|2015-06-09|7.9|16,10751,12,18,35|en|
A girl's emotions steer her through a difficult move.
354912|Coco|2017-10-27|8.2|10751,16,14,10402|en|
A boy who dreams of music enters the Land of the Dead.
8587|The Lion King|1994-06-24|8.3|10751,16,18|en|
A lion cub flees after his father's death and must return.
105|Back to the Future|1985-07-03|8.3|12,35,878|en|
A teenager travels back to 1955 in a time machine.
165|Back to the Future Part II|1989-11-22|7.8|12,35,10751,878|en|
Marty and Doc travel to 2015 and back again.
196|Back to the Future Part III|1990-05-25|7.5|12,35,10751,878|en|
Marty goes to the Old West to rescue Doc.
85|Raiders of the Lost Ark|1981-06-12|7.9|12,28|en|
An archaeologist races the Nazis to the Ark of the Covenant.
87|Indiana Jones and the Temple of Doom|1984-05-23|7.3|12,28|en|
Indiana Jones uncovers a cult in India.
89|Indiana Jones and the Last Crusade|1989-05-24|7.8|12,28|en|
Indiana Jones searches for his father and the Holy Grail.
329|Jurassic Park|1993-06-11|7.9|12,878|en|
Cloned dinosaurs break loose in a theme park.
578|Jaws|1975-06-20|7.7|27,53,12|en|
A great white shark terrorises a beach town.
601|E.T. the Extra-Terrestrial|1982-06-11|7.5|878,12,10751|en|
A boy befriends an alien stranded on Earth.
218|The Terminator|1984-10-26|7.7|28,53,878|en|
A cyborg from the future hunts a waitress.
280|Terminator 2: Judgment Day|1991-07-03|8.1|28,53,878|en|
A reprogrammed cyborg protects the future leader of humanity.
348|Alien|1979-05-25|8.2|27,878|en|
The crew of a cargo ship meets a deadly creature.
679|Aliens|1986-07-18|7.9|28,53,878|en|
Ripley returns to the planet with a team of marines.
78|Blade Runner|1982-06-25|7.9|878,18,53|en|
A blade runner hunts escaped replicants in Los Angeles.
335984|Blade Runner 2049|2017-10-04|7.6|878,18|en|
A new blade runner uncovers a long-buried secret.
62|2001: A Space Odyssey|1968-04-02|8.1|878,9648,12|en|
A voyage to Jupiter follows the discovery of a black monolith.
185|A Clockwork Orange|1971-12-19|8.2|878,80|en|
A violent young man undergoes an experimental cure.
694|The Shining|1980-05-23|8.2|27,53|en|
A writer looks after an isolated hotel for the winter.
600|Full Metal Jacket|1987-06-26|8.1|18,10752|en|
Marine recruits go from boot camp to Vietnam.
28|Apocalypse Now|1979-05-19|8.3|18,10752|en|
A captain travels upriver to find a rogue colonel.
11216|Cinema Paradiso|1988-11-17|8.4|18,10749|it|Nuovo Cinema Paradiso
A film director remembers the village cinema of his childhood.
194|Amélie|2001-04-25|7.9|35,10749|fr|Le Fabuleux Destin d'Amélie Poulain
A shy waitress in Paris quietly changes the lives around her.
496243|Parasite|2019-05-30|8.5|35,53,18|ko|기생충
A poor family schemes its way into a wealthy household.
372058|Your Name.|2016-08-26|8.5|16,10749,18|ja|君の名は。
Two teenagers discover that they are swapping bodies.
4935|Howl's Moving Castle|2004-09-09|8.4|14,16,12|ja|ハウルの動く城
A young woman cursed with old age finds a wizard's castle.
128|Princess Mononoke|1997-07-12|8.3|12,14,16|ja|もののけ姫
A prince is caught in a war between a forest and a town.
8392|My Neighbor Totoro|1988-04-16|8.1|14,16,10751|ja|となりのトトロ
Two sisters meet the spirits of the forest near their new home.
81|Nausicaä of the Valley of the Wind|1984-03-11|7.9|12,16,14|ja|風の谷のナウシカ
A princess tries to end a war in a poisoned world.
346|Seven Samurai|1954-04-26|8.5|28,18|ja|七人の侍
Villagers hire seven samurai to defend them from bandits.
149|Akira|1988-07-16|7.9|16,878,28|ja|AKIRA
A biker gang member gains dangerous psychic powers.
670|Oldboy|2003-11-21|8.2|18,53,9648,28|ko|올드보이
A man imprisoned for fifteen years is suddenly released.
1417|Pan's Labyrinth|2006-10-11|7.8|14,18,10752|es|El laberinto del fauno
A girl discovers a labyrinth in Franco's Spain.
598|City of God|2002-08-30|8.4|18,80|pt|Cidade de Deus
Two boys grow up on different paths in a Rio favela.
637|Life Is Beautiful|1997-12-20|8.5|35,18|it|La vita è bella
A father shields his son from the horrors of a camp.
77338|The Intouchables|2011-11-02|8.3|18,35|fr|Intouchables
A wealthy quadriplegic hires a young man as his carer.
101|Léon: The Professional|1994-09-14|8.3|80,18,28|fr|Léon
A hitman takes in a twelve-year-old girl.
18|The Fifth Element|1997-05-02|7.5|12,14,28,53,878|fr|Le Cinquième Élément
A cab driver helps a woman who holds the key to saving Earth.
843|In the Mood for Love|2000-05-22|8.1|18,10749|cn|花樣年華
Two neighbours suspect their spouses of an affair.
311|Once Upon a Time in America|1984-05-23|8.4|18,80|en|
Friends from the Lower East Side grow up to be gangsters.
510|One Flew Over the Cuckoo's Nest|1975-11-18|8.4|18|en|
A rebel takes on the head nurse of a psychiatric ward.
539|Psycho|1960-06-22|8.4|27,53,9648|en|
A secretary on the run stops at a remote motel.
426|Vertigo|1958-05-09|8.2|9648,10749,53|en|
A detective with a fear of heights follows a woman.
567|Rear Window|1954-08-01|8.3|53,9648|en|
A photographer watches his neighbours and suspects murder.
213|North by Northwest|1959-07-17|7.9|9648,53|en|
An advertising man is mistaken for a government agent.
289|Casablanca|1942-11-26|8.2|18,10749|en|
A nightclub owner meets his old love in wartime Morocco.
15|Citizen Kane|1941-04-17|8.0|9648,18|en|
A reporter seeks the meaning of a tycoon's last word.
630|The Wizard of Oz|1939-08-15|7.6|12,10751,14|en|
A girl is swept away to a magical land.
770|Gone with the Wind|1939-12-15|8.0|18,10752,10749|en|
A southern belle survives the Civil War and its aftermath.
947|Lawrence of Arabia|1962-12-11|8.0|12,18,36,10752|en|
A British officer unites Arab tribes against the Ottomans.
665|Ben-Hur|1959-11-18|7.9|28,18,36|en|
A Jewish prince is betrayed and sent into slavery.
1585|It's a Wonderful Life|1946-12-20|8.3|18,10751,14|en|
An angel shows a desperate man what life would be without him.
3082|Modern Times|1936-02-05|8.3|35,18|en|
A factory worker struggles with the modern industrial world.
901|City Lights|1931-01-30|8.3|35,18,10749|en|
A tramp falls in love with a blind flower girl.
1018|Mulholland Drive|2001-05-16|7.8|53,18,9648|en|
An amnesiac woman and an actress search Los Angeles for answers.
1422|The Departed|2006-10-05|8.2|18,53,80|en|
An undercover cop and a mole in the police hunt each other.
1124|The Prestige|2006-10-17|8.2|18,9648,878|en|
Two rival magicians go to deadly lengths.
77|Memento|2000-10-11|8.2|9648,53|en|
A man without short-term memory hunts his wife's killer.
272|Batman Begins|2005-06-10|7.7|18,80,28|en|
Bruce Wayne becomes Batman to fight corruption in Gotham.
49026|The Dark Knight Rises|2012-07-16|7.8|28,80,18,53|en|
Batman returns to face the terrorist Bane.
98|Gladiator|2000-05-01|8.2|28,18,12|en|
A betrayed general seeks revenge in the arena.
16869|Inglourious Basterds|2009-08-18|8.2|18,53,10752|en|
Allied soldiers plot to kill the Nazi leadership.
68718|Django Unchained|2012-12-25|8.2|18,37|en|
A freed slave sets out to rescue his wife.
24|Kill Bill: Vol. 1|2003-10-10|8.0|28,80|en|
A bride wakes from a coma and seeks revenge.
393|Kill Bill: Vol. 2|2004-04-16|7.9|28,80,53|en|
The bride continues her revenge against Bill.
500|Reservoir Dogs|1992-09-02|8.1|80,53|en|
A jewel heist goes wrong and the thieves suspect a rat.
115|The Big Lebowski|1998-03-06|7.8|35,80|en|
The Dude is mistaken for a millionaire with the same name.
275|Fargo|1996-03-08|7.9|80,18,53|en|
A car salesman's kidnapping scheme goes badly wrong.
6977|No Country for Old Men|2007-11-08|7.9|80,18,53|en|
A hunter finds drug money and is pursued by a killer.
244786|Whiplash|2014-10-10|8.4|18,10402|en|
A drummer is pushed to the limit by his teacher.
313369|La La Land|2016-12-09|7.9|35,18,10749,10402|en|
A pianist and an actress fall in love in Los Angeles.
76341|Mad Max: Fury Road|2015-05-13|7.6|28,12,878|en|
A drifter and a rebel flee a tyrant across the desert.
106646|The Wolf of Wall Street|2013-12-25|8.0|80,18,35|en|
A stockbroker's fortune is built on fraud.
37799|The Social Network|2010-10-01|7.4|18|en|
A student founds a social network and loses his friends.
111|Scarface|1983-12-09|8.2|28,80,18|en|
A Cuban refugee builds a drug empire in Miami.
73|American History X|1998-10-30|8.3|18|en|
A former neo-Nazi tries to stop his brother from following him.
14|American Beauty|1999-09-15|8.0|18|en|
A suburban father has a midlife crisis.
11324|Shutter Island|2010-02-14|8.2|18,53,9648|en|
A marshal investigates an escape from an island asylum.
671|Harry Potter and the Philosopher's Stone|2001-11-16|7.9|12,14|en|
An orphan learns on his birthday that he is a wizard.
672|Harry Potter and the Chamber of Secrets|2002-11-13|7.7|12,14|en|
A hidden chamber at Hogwarts is opened again.
673|Harry Potter and the Prisoner of Azkaban|2004-05-31|8.0|12,14|en|
An escaped prisoner seems to be hunting Harry.
674|Harry Potter and the Goblet of Fire|2005-11-16|7.8|12,14|en|
Harry is chosen for a dangerous tournament.
22|Pirates of the Caribbean: The Curse of the Black Pearl|2003-07-09|7.8|12,14,28|en|
A blacksmith and a pirate chase a cursed crew.
562|Die Hard|1988-07-15|7.8|28,53|en|
A New York cop fights terrorists in a Los Angeles tower.
620|Ghostbusters|1984-06-08|7.4|35,14|en|
Three scientists start a ghost-catching business.
2108|The Breakfast Club|1985-02-15|7.8|35,18|en|
Five students spend a Saturday in detention.
9377|Ferris Bueller's Day Off|1986-06-11|7.6|35|en|
A high schooler skips school for a day in Chicago.
744|Top Gun|1986-05-16|7.0|28,18|en|
A hotshot pilot trains at an elite flight school.
361743|Top Gun: Maverick|2022-05-24|8.2|28,18|en|
Maverick trains a new generation of pilots for a mission.
1726|Iron Man|2008-04-30|7.6|28,878,12|en|
An arms dealer builds a suit of armour to escape captivity.
118340|Guardians of the Galaxy|2014-07-30|7.9|28,878,12|en|
A band of misfits must protect a powerful orb.
284054|Black Panther|2018-02-13|7.4|28,12,878|en|
T'Challa returns home to take the throne of Wakanda.
557|Spider-Man|2002-05-01|7.3|28,878|en|
A bitten student gains spider powers.
438631|Dune|2021-09-15|7.8|878,12|en|
A noble family takes control of the desert planet Arrakis.
693134|Dune: Part Two|2024-02-27|8.2|878,12|en|
Paul Atreides unites with the Fremen against his enemies.
872585|Oppenheimer|2023-07-19|8.1|18,36|en|
The story of the physicist behind the atomic bomb.
346698|Barbie|2023-07-19|7.0|35,12|en|
Barbie leaves Barbieland for the real world.
475557|Joker|2019-10-01|8.1|80,53,18|en|
A failed comedian descends into madness in Gotham.
530915|1917|2019-12-25|8.0|10752,18,36|en|
Two soldiers cross enemy land to deliver a message.
419430|Get Out|2017-02-24|7.6|9648,53,27|en|
A visit to his girlfriend's family becomes a nightmare.
120467|The Grand Budapest Hotel|2014-02-26|8.0|35,18|en|
A concierge and his lobby boy are caught up in a theft.
545611|Everything Everywhere All at Once|2022-03-24|7.8|28,12,878|en|
A laundromat owner must connect with other universes.
286217|The Martian|2015-09-30|7.7|18,12,878|en|
An astronaut stranded on Mars must survive.
329865|Arrival|2016-11-10|7.6|18,878,9648|en|
A linguist tries to talk with visitors from space.
374720|Dunkirk|2017-07-19|7.5|10752,28,18|en|
Allied soldiers are evacuated from the beaches of Dunkirk.
577922|Tenet|2020-08-22|7.2|28,53,878|en|
An agent manipulates the flow of time to prevent a war.
508442|Soul|2020-12-25|8.1|16,10751,35,18,14|en|
A music teacher's soul is separated from his body.
"""
